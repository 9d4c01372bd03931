"""Benchmark of the dbt project at Belgian scale: a full `dbt build`, the monthly refresh (one new month plus
revisions of the previous six), and the floor (one hand-written DuckDB statement computing the monthly amounts).

The raw data is generated in DuckDB SQL (seconds, not hours): `--beneficiaries` person-months per month for
`--years` years over `--pcsa` CPAS, about 1.18 lines per person-month (5 % rejected then re-introduced, 3 %
corrected, 10 % split by a mid-month category change), acceptance in the following months.

    nice -n 10 .venv/bin/python -m bench.dbt_bench --years 15

Wall time and peak memory (max RSS) of each step are measured with /usr/bin/time and printed as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bench import OUT, RESULTS
from kernel.raw_tables import create_all
from kernel.settings import DBT_PROJECT_DIR

DBT = Path(sys.executable).parent / "dbt"
FIRST_MONTH = dt.date(2012, 1, 1)

# One slot-month becomes 1 to 3 lines; persons rotate through slots in spells of about 8 months.
LINES_SQL = """
INSERT INTO raw.payment_lines
WITH months AS (
    SELECT m, CAST(DATE '{first}' + to_months(CAST(m AS INTEGER)) AS DATE) AS month
    FROM range({month_from}, {month_to}) t(m)
),
slots AS (
    SELECT months.m, months.month, s,
        (s * 7919 + (months.m // 8) * 104729) % ({n} * 3) AS person,
        hash(months.m, s) % 100 AS dice
    FROM months, range(0, {n}) t(s)
),
base AS (
    SELECT *,
        lpad(CAST(person % {pcsa} AS VARCHAR), 8, '0') AS cbe8,
        CAST(1 + person % 3 AS SMALLINT) AS category,
        CASE WHEN person % 20 = 0 THEN 'EQUIVALENT_LIVING_WAGE' WHEN person % 37 = 0
             THEN 'FAMILY_ALLOWANCE_ADVANCE' ELSE 'LIVING_WAGE' END AS allowance,
        last_day(month) AS month_end
    FROM slots
),
keyed AS (
    SELECT *,
        '0' || substr(cbe8, 2) || lpad(CAST(97 - (CAST('0' || substr(cbe8, 2) AS BIGINT) % 97) AS VARCHAR), 2, '0')
            AS cbe,
        lpad(CAST(person AS VARCHAR), 9, '0') || '01' AS ssin,
        CASE WHEN person % 5 = 0 THEN lpad(CAST(person + 500000000 AS VARCHAR), 9, '0') || '02' END AS partner,
        CAST(CASE category WHEN 1 THEN 876.13 WHEN 2 THEN 1314.20 ELSE 1776.07 END AS DECIMAL(12, 2)) AS full_amount
    FROM base
),
lines AS (
    -- the month's line (ends on the 15th when the category changes mid-month)
    SELECT m, s, 0 AS k, NULL AS replaces, cbe, ssin, partner, allowance, category, month,
        CASE WHEN dice BETWEEN 20 AND 29 THEN month + 14 ELSE month_end END AS end_date, full_amount AS amount,
        CAST(month + INTERVAL 1 MONTH + INTERVAL 9 DAY AS DATE) AS accepted,
        CASE WHEN dice < 5 THEN 'REJECTED' ELSE 'ACCEPTED' END AS decision
    FROM keyed
    UNION ALL
    -- re-introduction of the rejected ones, two months later
    SELECT m, s, 1, 'L' || m || '-' || s || '-0', cbe, ssin, partner, allowance, category, month, month_end,
        full_amount, CAST(month + INTERVAL 2 MONTH + INTERVAL 11 DAY AS DATE), 'ACCEPTED'
    FROM keyed WHERE dice < 5
    UNION ALL
    -- corrections of accepted lines, three months later
    SELECT m, s, 1, 'L' || m || '-' || s || '-0', cbe, ssin, partner, allowance, category, month, month_end,
        full_amount - 10, CAST(month + INTERVAL 3 MONTH + INTERVAL 12 DAY AS DATE), 'ACCEPTED'
    FROM keyed WHERE dice BETWEEN 5 AND 7
    UNION ALL
    -- the second half of a month with a category change
    SELECT m, s, 2, NULL, cbe, ssin, partner, allowance, CAST(1 + category % 3 AS SMALLINT), month + 15,
        month_end, CAST(full_amount / 2 AS DECIMAL(12, 2)), CAST(month + INTERVAL 1 MONTH + INTERVAL 9 DAY AS DATE),
        'ACCEPTED'
    FROM keyed WHERE dice BETWEEN 20 AND 29
)
SELECT
    'F-' || strftime(accepted, '%Y-%m'), CAST(s AS INTEGER), 'L' || m || '-' || s || '-' || k, replaces, cbe, ssin,
    partner, allowance, category, month, end_date, amount, CAST(month + 4 AS DATE), accepted, decision,
    CASE WHEN decision = 'REJECTED' THEN 'R0' || (1 + s % 8) END
FROM lines
"""

# Revisions of the six months before the new one, accepted in the new month (the monthly refresh's input).
REVISIONS_SQL = """
INSERT INTO raw.payment_lines
SELECT 'F-rev-' || strftime(CAST(DATE '{accepted}' AS DATE), '%Y-%m'), 0, line_id || '-rev', line_id,
    pcsa_cbe_number, ssin, partner_ssin, allowance_type, household_category, begin_date, end_date, amount - 5,
    payment_date, DATE '{accepted}', 'ACCEPTED', NULL
FROM raw.payment_lines p
WHERE begin_date >= DATE '{revise_from}' AND begin_date < DATE '{new_month}'
  AND hash(line_id) % 100 = 0
  AND NOT EXISTS (SELECT 1 FROM raw.payment_lines r WHERE r.replaces_line_id = p.line_id)
"""

# The ledger of loaded files, as ingest keeps it (an incremental build tells new lines by their files).
LEDGER_SQL = """
INSERT INTO raw.loaded_files
SELECT file_id, 'payments', file_id || '.xml', '', count(*), NULL, current_timestamp, NULL
FROM raw.payment_lines
WHERE file_id NOT IN (SELECT file_id FROM raw.loaded_files)
GROUP BY file_id
"""

# The floor: one statement computing the monthly amounts (included, current, amount, merged coverage, finality).
FLOOR_SQL = """
CREATE OR REPLACE TABLE main.floor_monthly AS
WITH inc AS (
    SELECT * FROM raw.payment_lines WHERE acceptance_date <= DATE '{cutoff}'
),
cur AS (
    SELECT inc.*, date_trunc('month', begin_date)::DATE AS month FROM inc
    WHERE NOT EXISTS (SELECT 1 FROM inc r WHERE r.replaces_line_id = inc.line_id)
),
cells AS (
    SELECT ssin, month, pcsa_cbe_number, allowance_type,
        datediff('month', month, DATE '{r}') - 1 AS age, bool_or(decision = 'REJECTED') AS open_rejection
    FROM cur GROUP BY ALL
),
acc AS (
    SELECT *, CASE WHEN begin_date > max(end_date) OVER w + 1 OR max(end_date) OVER w IS NULL THEN 1 ELSE 0 END AS s
    FROM cur WHERE decision = 'ACCEPTED'
    WINDOW w AS (PARTITION BY ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin
                 ORDER BY begin_date, end_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
isl AS (
    SELECT *, sum(s) OVER (PARTITION BY ssin, month, pcsa_cbe_number, allowance_type, household_category,
        partner_ssin ORDER BY begin_date, end_date) AS island FROM acc
),
periods AS (
    SELECT ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin,
        min(begin_date) AS b, max(end_date) AS e, sum(amount) AS amount, count(*) AS n,
        sum(end_date - begin_date + 1) AS line_days
    FROM isl
    GROUP BY ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin, island
)
SELECT p.ssin, p.month, p.pcsa_cbe_number, p.allowance_type, p.household_category, p.partner_ssin,
    sum(p.amount)::DECIMAL(12, 2) AS amount, list({{'begin_date': b, 'end_date': e}} ORDER BY b) AS grant_periods,
    sum(e - b + 1) = day(last_day(p.month)) AS covers_whole_period,
    CASE WHEN any_value(c.age) < 3 THEN 'PROVISIONAL'
         WHEN any_value(c.age) < 6 AND any_value(c.open_rejection) THEN 'CONSOLIDATING' ELSE 'FINAL' END AS status,
    sum(n) AS line_count, sum(line_days) > sum(e - b + 1) AS has_overlapping_days
FROM periods p JOIN cells c USING (ssin, month, pcsa_cbe_number, allowance_type)
GROUP BY p.ssin, p.month, p.pcsa_cbe_number, p.allowance_type, p.household_category, p.partner_ssin
"""


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def first_saturday(month: dt.date) -> dt.date:
    return month + dt.timedelta(days=(5 - month.weekday()) % 7)


def timed(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a command under /usr/bin/time: wall seconds and peak resident memory (MB)."""
    report = Path(env["BENCH_TIME_FILE"])
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(report), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    peak_mb = int(report.read_text().strip().splitlines()[-1]) / 1024
    return {"seconds": round(seconds, 1), "peak_mb": round(peak_mb)}


def dbt(command: str, reference_date: dt.date, work: Path, env: dict[str, str], *extra: str) -> dict[str, float]:
    return timed(
        [
            str(DBT),
            command,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            *extra,
        ],
        {**env, "LWW_DBT_REFERENCE_DATE": reference_date.isoformat()},  # R reaches dbt this way only
    )


FLOOR_SCRIPT = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("SET threads = 2")
connection.execute("SET enable_progress_bar = false")
connection.execute("SET memory_limit = '{limit}'")
connection.execute(sys.stdin.read())
"""


def floor(warehouse: Path, reference_date: dt.date, env: dict[str, str]) -> dict[str, float]:
    cutoff = reference_date.replace(day=1) - dt.timedelta(days=1)
    sql = FLOOR_SQL.format(cutoff=cutoff, r=reference_date)
    script = FLOOR_SCRIPT.format(limit=env["LWW_DUCKDB_MEMORY_LIMIT"])
    report = Path(env["BENCH_TIME_FILE"])
    started = time.perf_counter()
    subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(report), sys.executable, "-c", script, str(warehouse)],
        input=sql,
        text=True,
        check=True,
        env=env,
    )
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 1), "peak_mb": round(int(report.read_text().split()[-1]) / 1024)}


def generate(warehouse: Path, years: int, beneficiaries: int, pcsa: int, memory_limit: str) -> dict[str, object]:
    """The raw lines of ``years`` and their ledger in a new ``warehouse``, generated year by year (memory stays
    flat); the lines accepted after the cutoff of R (they belong to later refreshes) left out."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    warehouse.unlink(missing_ok=True)
    months = years * 12
    started = time.perf_counter()
    connection = duckdb.connect(str(warehouse))
    try:
        connection.execute(f"SET memory_limit = '{memory_limit}'")
        create_all(connection)
        for month_from in range(0, months, 12):
            connection.execute(
                LINES_SQL.format(
                    first=FIRST_MONTH,
                    month_from=month_from,
                    month_to=min(month_from + 12, months),
                    n=beneficiaries,
                    pcsa=pcsa,
                )
            )
        connection.execute(
            f"DELETE FROM raw.payment_lines WHERE acceptance_date >= DATE '{add_months(FIRST_MONTH, months)}'"
        )
        connection.execute(LEDGER_SQL)
        lines = connection.execute("SELECT count(*) FROM raw.payment_lines").fetchone()[0]
    finally:
        connection.close()
    return {"lines": lines, "generate_s": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--beneficiaries", type=int, default=170_000)
    parser.add_argument("--pcsa", type=int, default=565)
    parser.add_argument("--memory-limit", default="6GB")
    parser.add_argument("--workdir", type=Path, default=OUT / "dbt")
    parser.add_argument("--output", type=Path, help="default: bench/results/dbt_bench_<years>y.json")
    parser.add_argument("--skip-build", action="store_true", help="reuse the warehouse of a previous run")
    args = parser.parse_args(argv)

    args.workdir.mkdir(parents=True, exist_ok=True)
    warehouse = args.workdir / "warehouse.duckdb"
    months = args.years * 12
    new_month = add_months(FIRST_MONTH, months)
    reference = first_saturday(new_month)  # R before the new month's lines: cutoff = the last generated month
    env = {
        **os.environ,
        "LWW_WAREHOUSE": str(warehouse),
        "LWW_DUCKDB_MEMORY_LIMIT": args.memory_limit,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "BENCH_TIME_FILE": str(args.workdir / "time.txt"),
    }
    results: dict[str, object] = {
        "years": args.years,
        "beneficiaries_per_month": args.beneficiaries,
        "pcsa": args.pcsa,
        "memory_limit": args.memory_limit,
        "reference_date": reference.isoformat(),
    }

    if not args.skip_build:
        generated = generate(warehouse, args.years, args.beneficiaries, args.pcsa, args.memory_limit)
        results["lines"], results["generate_seconds"] = generated["lines"], generated["generate_s"]

    results["floor"] = floor(warehouse, reference, env)
    results["full_build"] = dbt("build", reference, args.workdir, env)

    # the monthly refresh: the new month's lines + revisions of the previous six months, then R + 1 month
    connection = duckdb.connect(str(warehouse))
    next_reference = first_saturday(add_months(new_month, 1))
    accepted = new_month + dt.timedelta(days=9)
    before = connection.execute("SELECT count(*) FROM raw.payment_lines").fetchone()[0]
    # the lines accepted during the new month (removed above): last month's, and earlier re-introductions
    connection.execute(
        LINES_SQL.format(
            first=FIRST_MONTH, month_from=months - 3, month_to=months, n=args.beneficiaries, pcsa=args.pcsa
        )
        + f" WHERE accepted >= DATE '{new_month}' AND accepted < DATE '{add_months(new_month, 1)}'"
    )
    connection.execute(
        REVISIONS_SQL.format(accepted=accepted, revise_from=add_months(new_month, -6), new_month=new_month)
    )
    connection.execute(LEDGER_SQL)
    results["refresh_new_lines"] = connection.execute("SELECT count(*) FROM raw.payment_lines").fetchone()[0] - before
    connection.close()
    results["refresh_reference_date"] = next_reference.isoformat()
    results["monthly_refresh_build"] = dbt("build", next_reference, args.workdir, env)

    print(json.dumps(results, indent=2))
    output = args.output or RESULTS / f"dbt_bench_{args.years}y.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time to first render of each dashboard page on a snapshot at Belgian scale, cold and warm cache, via AppTest.

Builds (once, under bench/out/dashboards-home/, reused unless --rebuild) a published snapshot with the
contract's DDL and DuckDB SQL:
  565 CPAS; 180 months (15 years) of agg_monthly_pcsa (9 allowance/category cells per CPAS and month);
  amount_history with 12 benefit months per refresh over 180 refreshes; monthly_amounts with
  --beneficiaries people a month over all months (165,000 ≈ Belgium: 29.7 million person-month rows);
  monthly_amounts_by_partner (10 %), dq_* tables, 1 million right events, 2 million consultations.
Then, signed in as an analyst: for each page, clear every Streamlit cache (cold: new connection, empty
query caches) and time the run that renders it; run it again (warm); the person lookup is timed on a submitted
SSIN. Target: every page under 2 s warm.

    nice -n 10 .venv/bin/python -m bench.dashboards_bench [--beneficiaries 165000] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb
from argon2 import PasswordHasher

from dashboards.lib import navigation
from kernel import published, snapshots
from kernel.calendar import add_months, cutoff, first_saturday
from kernel.identifiers import cbe_with_check, ssin_with_check

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "bench" / "out" / "dashboards-home"
APP = ROOT / "dashboards" / "streamlit_app.py"
MONTHS = 180
R = first_saturday(2026, 7)
FIRST_MONTH = add_months(R, -MONTHS)  # 2011-07 .. 2026-06
USER, PASSWORD = "bench", "bench-password"
PERSON = ssin_with_check("850730", 33, False)
# every page of the navigation, by its title
PAGES = {page.path: page.title for page in navigation.PAGES}


def build(home: Path, beneficiaries: int) -> None:
    """A snapshot at Belgian scale, published under ``home`` with the kernel's protocol."""
    published_dir = home / "published"
    refresh_id = snapshots.new_refresh_id(R)
    staged = snapshots.staging_path(published_dir, refresh_id)
    con = duckdb.connect(str(staged))
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET memory_limit = '4GB'")  # a shared machine: stay well inside our share
    for table in (*published.TABLES, published.SNAPSHOT_INFO):
        con.execute(table.ddl())
    regions = ["FLANDERS"] * 300 + ["WALLONIA"] * 246 + ["BRUSSELS"] * 19
    pcsa = [
        (cbe_with_check(2000000 + 137 * i), f"{10000 + i}", f"CPAS {i:03d}", f"OCMW {i:03d}", regions[i])
        for i in range(565)
    ]
    con.executemany("INSERT INTO dim_pcsa VALUES (?, ?, ?, ?, ?)", pcsa)
    con.execute("INSERT INTO dashboard_users VALUES (?, ?, 'ANALYST', NULL)", [USER, PasswordHasher().hash(PASSWORD)])
    con.execute(
        "INSERT INTO dim_institutions SELECT lpad((411000000 + i * 1000)::VARCHAR, 10, '0'), "
        "'Institution ' || i, 11 FROM range(40) t(i)"
    )
    # CPAS weights: a few large cities, a long tail of small towns (Zipf-like), summing to 1.
    con.execute(
        """
        CREATE TEMP TABLE w AS
        SELECT cbe_number, region, (1.0 / pow(row_number() OVER (ORDER BY cbe_number), 0.8)) AS raw
        FROM dim_pcsa
        """
    )
    con.execute(
        "CREATE TEMP TABLE weights AS SELECT cbe_number, region, raw / sum(raw) OVER () AS weight, "
        "row_number() OVER (ORDER BY cbe_number) - 1 AS idx FROM w"
    )
    con.execute(
        """
        CREATE TEMP TABLE cells AS SELECT * FROM (VALUES
            ('LIVING_WAGE', 1, 0.28, 876.13), ('LIVING_WAGE', 2, 0.42, 1314.20), ('LIVING_WAGE', 3, 0.20, 1776.07),
            ('EQUIVALENT_LIVING_WAGE', 1, 0.02, 876.13), ('EQUIVALENT_LIVING_WAGE', 2, 0.04, 1314.20),
            ('EQUIVALENT_LIVING_WAGE', 3, 0.02, 1776.07), ('FAMILY_ALLOWANCE_ADVANCE', 1, 0.005, 120.00),
            ('FAMILY_ALLOWANCE_ADVANCE', 2, 0.005, 150.00), ('FAMILY_ALLOWANCE_ADVANCE', 3, 0.01, 180.00)
        ) c(allowance_type, household_category, share, full_amount)
        """
    )
    con.execute(
        f"""
        CREATE TEMP TABLE months AS
        SELECT (DATE '{FIRST_MONTH}' + to_months(i::INTEGER))::DATE AS month, {MONTHS} - i AS age,
               pow(0.98, ({MONTHS} - i) / 12.0) AS index_factor
        FROM range({MONTHS}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO agg_monthly_pcsa
        SELECT m.month, w.cbe_number, w.region, c.allowance_type, c.household_category,
               CASE WHEN m.age <= 3 THEN 'PROVISIONAL' WHEN m.age <= 6 AND hash(w.cbe_number, m.month) % 4 = 0
                    THEN 'CONSOLIDATING' ELSE 'FINAL' END,
               n, n, n // 10, (n * c.full_amount * m.index_factor)::DECIMAL(18,2), n + n // 50, n // 50
        FROM months m, weights w, cells c,
             LATERAL (SELECT greatest(1, round({beneficiaries} * w.weight * c.share
                                          * (0.9 + 0.2 * m.age / {MONTHS})))::BIGINT AS n)
        """
    )
    con.execute(
        """
        INSERT INTO amount_history
        SELECT (r.month + INTERVAL 1 MONTH + INTERVAL 3 DAY)::DATE AS reference_date, m.month, a.pcsa_cbe_number,
               a.allowance_type, a.finality_status, sum(a.rows),
               (sum(a.amount) * (1 - 0.1 / (1 + date_diff('month', m.month, r.month))))::DECIMAL(18,2)
        FROM months r JOIN months m ON m.month BETWEEN r.month - INTERVAL 11 MONTH AND r.month
        JOIN agg_monthly_pcsa a ON a.month = m.month
        GROUP BY r.month, m.month, a.pcsa_cbe_number, a.allowance_type, a.finality_status
        """
    )
    con.execute(
        """
        INSERT INTO dq_rejections
        SELECT (month + INTERVAL 1 MONTH)::DATE, pcsa_cbe_number, allowance_type, 'R0' || (1 + hash(pcsa_cbe_number,
               month, allowance_type) % 8), sum(rejected_lines), sum(amount) / 100
        FROM agg_monthly_pcsa WHERE rejected_lines > 0 GROUP BY ALL
        """
    )
    people = "lpad((10000000000 + p)::VARCHAR, 11, '0')"
    con.execute(
        f"""
        INSERT INTO dq_open_rejections
        SELECT 'OR-' || i, {people.replace("p)", "i)")}, m.month, w.cbe_number, 'LIVING_WAGE',
               'R0' || (1 + i % 8), 1314.20, m.age - 1, m.age - 1 >= 6
        FROM range(60000) t(i) JOIN months m ON m.age = 1 + i % 12 JOIN weights w ON w.idx = i % 565
        """
    )
    con.execute(
        f"""
        INSERT INTO dq_late_revisions
        SELECT 'LR-' || i, {people.replace("p)", "i)")}, (DATE '{FIRST_MONTH}' + to_months((i % 170)::INTEGER))::DATE,
               '{pcsa[0][0]}', 'LIVING_WAGE', (DATE '{FIRST_MONTH}' + to_months((i % 170 + 8)::INTEGER))::DATE,
               'ACCEPTED', 25.00, 8
        FROM range(20000) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO dq_payments_outside_rights
        SELECT 'PO-' || i, {people.replace("p)", "i)")}, (DATE '{FIRST_MONTH}' + to_months((i % 180)::INTEGER))::DATE,
               w.cbe_number, 'LIVING_WAGE', 400.00, 10
        FROM range(30000) t(i) JOIN weights w ON w.idx = i % 565
        """
    )
    con.execute(
        """
        INSERT INTO quarantined_files
        SELECT 'Q-' || i, 'payments-' || i || '.xml', 'payments', 'F-' || i,
               TIMESTAMP '2026-01-01' + to_days(i::INTEGER),
               'replacesLineId points to no known line', 10 + i, 'replacesLineId', 1, NULL
        FROM range(200) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO right_events
        SELECT 'E-' || i, 'R-' || (i // 2), 1 + i % 2, CASE WHEN i % 2 = 0 THEN 'CREATE' ELSE 'MODIFY' END,
               {people.replace("p)", "i // 2)")}, w.cbe_number,
               'LIVING_WAGE', 2, d, NULL, d - 20, d - 20 + dd, d - 20 + dd + rd, true,
               dd, rd, dd > 30, rd > 7, false
        FROM range(1000000) t(i) JOIN weights w ON w.idx = i % 565,
             LATERAL (SELECT DATE '{FIRST_MONTH}' + (i % 5400)::INTEGER AS d, (i % 45)::INTEGER AS dd,
                             (i % 11)::INTEGER AS rd)
        """
    )
    con.execute(
        """
        INSERT INTO consultations
        SELECT 'C-' || i, TIMESTAMP '2025-07-01' + to_seconds((i * 7)::BIGINT), 'SOAP',
               lpad((411000000 + (i % 40) * 1000)::VARCHAR, 10, '0'), 'Institution ' || (i % 40), 'ctx',
               CASE i % 3 WHEN 0 THEN 'getLivingWages' WHEN 1 THEN 'getLivingWagesWithAmount'
                   ELSE 'getLivingWagePeriods' END,
               CASE WHEN i % 50 = 0 THEN 'NO_RESULT' WHEN i % 7 = 0 THEN 'NO_DATA_FOUND' ELSE 'DATA_FOUND' END,
               CASE WHEN i % 50 = 0 THEN 'MSG00012' WHEN i % 7 = 0 THEN 'MSG00100' ELSE 'MSG00000' END,
               200, 5 + (i % 97) / 3.0
        FROM range(2000000) t(i)
        """
    )
    # Person-month rows: every beneficiary of every month, in month order (as the pipeline writes them).
    con.execute(
        f"""
        INSERT INTO monthly_amounts
        SELECT {people}, m.month, w.cbe_number, 'LIVING_WAGE', 1 + p % 3, NULL, 1314.20,
               [{{'begin_date': m.month, 'end_date': last_day(m.month)}}], true,
               CASE WHEN m.age <= 3 THEN 'PROVISIONAL' ELSE 'FINAL' END, m.age = 1, 1, false
        FROM months m, range({beneficiaries}) t(p) JOIN weights w ON w.idx = p % 565
        """
    )
    con.execute(
        f"""
        INSERT INTO monthly_amounts_by_partner
        SELECT partner, month, pcsa_cbe_number, allowance_type, household_category, beneficiary_ssin, amount,
               grant_periods, covers_whole_period, finality_status, is_last_indemnified_month
        FROM (SELECT *, lpad((20000000000 + hash(beneficiary_ssin) % {beneficiaries})::VARCHAR, 11, '0') AS partner
              FROM monthly_amounts WHERE hash(beneficiary_ssin) % 10 = 0)
        """
    )
    con.execute(
        f"""
        INSERT INTO monthly_amounts
        SELECT '{PERSON}', month, '{pcsa[0][0]}', 'LIVING_WAGE', 2, NULL, 1314.20,
               [{{'begin_date': month, 'end_date': last_day(month)}}], true, 'FINAL', false, 1, false
        FROM months WHERE age BETWEEN 10 AND 40
        """
    )
    con.execute("INSERT INTO snapshot_info VALUES (?, ?, ?, now())", [refresh_id, R, cutoff(R)])
    errors = published.contract_errors(con)
    if errors:
        raise SystemExit(f"bench snapshot breaks the contract: {errors}")
    counts = {
        t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
        for t in ("agg_monthly_pcsa", "amount_history", "monthly_amounts", "right_events", "consultations")
    }
    con.close()
    snapshots.commit(published_dir, refresh_id, {"reference_date": R.isoformat(), "row_counts": counts})
    print("built", counts, f"{snapshots.snapshot_path(published_dir, refresh_id).stat().st_size / 1e9:.2f} GB")


def measure(rounds: int) -> list[tuple[str, float, float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=600).run()
    at.text_input(key="login_username").input(USER)
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    results = []
    for page, title in PAGES.items():
        colds, warms = [], []
        for _ in range(rounds):
            st.cache_data.clear()
            st.cache_resource.clear()
            at.switch_page(page)
            start = time.perf_counter()
            at.run()
            colds.append(time.perf_counter() - start)
            assert not at.exception, (page, at.exception)
            assert at.title[0].value == title and (at.dataframe or page.endswith("lookup.py")), page
            start = time.perf_counter()
            at.run()
            warms.append(time.perf_counter() - start)
            assert not at.exception and at.title[0].value == title, (page, at.exception)
        results.append((page, statistics.median(colds), statistics.median(warms)))
        print(f"{page:32s} cold {results[-1][1]:6.2f} s   warm {results[-1][2]:6.2f} s", flush=True)
    # The lookup itself: submit one SSIN (not cached by design: each lookup is deliberate and logged).
    at.switch_page("app_pages/person_lookup.py").run()
    timings = []
    for _ in range(rounds):
        at.text_input(key="lookup_input").input(PERSON)
        start = time.perf_counter()
        next(b for b in at.button if b.label == "Look up").click().run()
        timings.append(time.perf_counter() - start)
        assert not at.exception and at.metric[0].value == "31", at.exception  # months as beneficiary
    results.append(("person lookup (submit one SSIN)", statistics.median(timings), statistics.median(timings)))
    print(f"{'person lookup (submit)':32s} each {results[-1][1]:6.2f} s", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beneficiaries", type=int, default=165_000, help="people paid per month")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild and HOME.exists():
        shutil.rmtree(HOME)
    if snapshots.current(HOME / "published") is None:
        started = time.perf_counter()
        build(HOME, args.beneficiaries)
        print(f"build: {time.perf_counter() - started:.0f} s")
    os.environ["LWW_HOME"] = str(HOME)
    results = measure(args.rounds)
    print("\n| page | cold (s) | warm (s) |\n|---|---:|---:|")
    for page, cold, warm in results:
        print(f"| {page} | {cold:.2f} | {warm:.2f} |")
    return 0 if all(warm < 2 for _, _, warm in results) else 1


if __name__ == "__main__":
    sys.exit(main())

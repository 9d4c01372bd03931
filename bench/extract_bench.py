"""Benchmark of the periodic extracts at Belgian scale: the SPF Finances extract of one tax year (target: under
2 minutes) and, for reference, the harmonised social statuses of one month, through the production steps
(``extracts.delivery``: stage, control check against the marts, release), timed step by step, with the peak
memory of the process.

    nice -n 10 .venv/bin/python -m bench.extract_bench [--year 2025] [--month 2026-10]

The source is the 15-year Belgian snapshot the service and batch benchmarks build (``bench.service_bench``'s
``build_snapshot``: 170,000 beneficiaries a month, 2011-11 .. 2026-10, R = 2026-11-07), found in
``$BENCH_HOME/b170000-y15`` (default /tmp/lww-sb) and built there when missing. It is never written: the bench
copies it into a snapshot of its own home (``bench/out/extract-home``), adding what the extract needs and the
service benchmark's snapshot lacks (the SPF Finances institution, sector 50, and its
``LivingWagesWithAmount:extract`` authorisation), then runs the extracts from there.

That snapshot's people stay 66 months on average, so a year holds about 200,000 of them; the issue's target is
the year of about 400,000 people (those paid at least once in the year). ``--twins`` (default 1) adds, for the
extracted year only, that many copies of its amounts under other SSINs (serial + 30 × n: the snapshot's serials
are 1..26; check digits recomputed), so the year holds (1 + twins) times its people.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import time
from pathlib import Path

import duckdb

from bench import OUT, RESULTS, record
from kernel import snapshots
from kernel.settings import settings as make_settings
from service.extracts import delivery

SPF_FINANCES = "0310014869"  # synthetic, valid (check digits)


def source_snapshot(bench_home: Path) -> snapshots.Snapshot:
    home = bench_home / "b170000-y15"
    snapshot = snapshots.current(make_settings(home).published)
    if snapshot is None:
        from bench.service_bench import build_snapshot

        build_snapshot(home, 170_000, 15)
        snapshot = snapshots.current(make_settings(home).published)
    return snapshot


def _twin(column: str, n: int) -> str:
    """SQL: the SSIN ``column`` with its serial + 30 × n and its check digits recomputed."""
    first9 = (
        f"substr({column}, 1, 6) || lpad(CAST(CAST(substr({column}, 7, 3) AS INTEGER) + {30 * n} AS VARCHAR), 3, '0')"
    )
    return f"({first9}) || lpad(CAST(97 - CAST({first9} AS BIGINT) % 97 AS VARCHAR), 2, '0')"


def prepared_home(source: snapshots.Snapshot, home: Path, year: int, twins: int) -> Path:
    """A home whose current snapshot is a copy of ``source`` with the extract's recipient and authorisation, and
    ``twins`` copies of ``year``'s amounts under other SSINs."""
    settings = make_settings(home)
    made = {"copied_from": source.refresh_id, "twins": twins, "twins_year": year}
    if home.exists():
        current = snapshots.current(settings.published)
        if current is not None and all(current.manifest.get(k) == v for k, v in made.items()):
            return home
        shutil.rmtree(home)
    settings.ensure()
    refresh_id = snapshots.new_refresh_id(source.reference_date)
    staged = snapshots.staging_path(settings.published, refresh_id)
    shutil.copyfile(source.path, staged)
    os.chmod(staged, 0o644)
    with duckdb.connect(str(staged)) as connection:
        connection.execute("DELETE FROM dim_institutions WHERE sector = 50")
        connection.execute(
            "INSERT INTO dim_institutions VALUES (?, 'SPF Finances - FOD Financiën', 50)", [SPF_FINANCES]
        )
        connection.execute(
            "INSERT INTO authorizations (cbe_number, operation, legal_context, deliberation, valid_from) "
            "VALUES (?, 'LivingWagesWithAmount:extract', 'TAX_CONTROL', '14/091', DATE '2010-01-01')",
            [SPF_FINANCES],
        )
        connection.execute("UPDATE snapshot_info SET refresh_id = ?", [refresh_id])
        for n in range(1, twins + 1):
            connection.execute(
                f"INSERT INTO monthly_amounts SELECT * REPLACE ({_twin('beneficiary_ssin', n)} AS beneficiary_ssin) "
                f"FROM monthly_amounts WHERE month >= DATE '{year}-01-01' AND month <= DATE '{year}-12-31' "
                "AND CAST(substr(beneficiary_ssin, 7, 3) AS INTEGER) <= 30"
            )
            connection.execute(
                f"INSERT INTO yearly_amounts SELECT * REPLACE ({_twin('beneficiary_ssin', n)} AS beneficiary_ssin) "
                f"FROM yearly_amounts WHERE year = {year} AND CAST(substr(beneficiary_ssin, 7, 3) AS INTEGER) <= 30"
            )
        connection.execute("CHECKPOINT")
    manifest = {**source.manifest, **made}
    for key in ("refresh_id", "file", "sha256"):
        manifest.pop(key, None)
    snapshots.commit(settings.published, refresh_id, manifest)
    return home


def timed_extract(home: Path, kind: str, period: str) -> dict:
    settings = make_settings(home)
    started = time.perf_counter()
    staged = delivery.stage(settings, kind, period, today=dt.date(2026, 11, 7))
    stage_s = time.perf_counter() - started
    comparison = delivery.verify(settings, staged)
    verify_s = time.perf_counter() - started - stage_s
    released = delivery.release(settings, staged)
    total = time.perf_counter() - started
    control = comparison.in_marts
    return {
        "kind": kind,
        "period": period,
        "records": control.record_count,
        "people": control.distinct_ssin_count,
        "totals": {k: str(v) for k, v in control.totals.items()},
        "bytes": released.path.stat().st_size,
        "stage_s": round(stage_s, 2),
        "control_check_s": round(verify_s, 2),
        "release_s": round(total - stage_s - verify_s, 2),
        "total_s": round(total, 2),
        "passed": comparison.passed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", default="2025")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument(
        "--twins", type=int, choices=range(0, 32), default=1, help="copies of the year's people under other SSINs"
    )
    parser.add_argument("--output", default=str(RESULTS / "extract_bench.json"))
    args = parser.parse_args()
    bench_home = Path(os.environ.get("BENCH_HOME", "/tmp/lww-sb"))
    source = source_snapshot(bench_home)
    home = prepared_home(source, OUT / "extract-home", int(args.year), args.twins)
    results = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source_snapshot": str(source.path),
        "twins": args.twins,
        "load_average_before": os.getloadavg(),
        "runs": [],
    }
    for kind, period in (("finances", args.year), ("ssh", args.month)):
        run = timed_extract(home, kind, period)
        print(run, flush=True)
        results["runs"].append(run)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    record(results, args.output)


if __name__ == "__main__":
    main()

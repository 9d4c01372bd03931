"""Benchmark of the synthetic upstream at Belgian scale (565 CPAS, about 170,000 beneficiaries a month).

1. XML path: the files of one month (payments + rights) plus the reference CSVs, as ``lww simulate`` writes them.
2. Raw path: ``--years`` years of lines and events straight into the raw tables of a fresh DuckDB file.
   When the raw path would take too long on the machine at hand, run fewer years: the figure printed is then
   extrapolated linearly to 15 years and says so.

    nice -n 10 .venv/bin/python -m bench.simulate_belgium --years 15
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from kernel.calendar import add_months
from kernel.settings import settings
from simulator.config import SimulationConfig
from simulator.run import simulate, write_raw


def _xml_month(month: dt.date, workdir: Path) -> dict:
    home = settings(workdir / "home")
    started, cpu = time.perf_counter(), time.process_time()
    summary = simulate(SimulationConfig(scale="belgium", first_month=month, last_month=month), home)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    inbox_bytes = sum(p.stat().st_size for p in home.inbox.rglob("*.xml"))
    reference_bytes = sum(p.stat().st_size for p in home.reference.glob("*.csv"))
    return {
        "seconds": seconds,
        "cpu": cpu,
        "timings": summary.timings,
        "files": summary.files,
        "lines": summary.lines,
        "events": summary.events,
        "xml_mb": inbox_bytes / 1e6,
        "reference_rows": summary.reference_rows,
        "reference_mb": reference_bytes / 1e6,
    }


def _raw_years(years: int, last: dt.date, workdir: Path) -> dict:
    first = add_months(last, -(12 * years - 1))
    warehouse = workdir / "warehouse.duckdb"
    started, cpu = time.perf_counter(), time.process_time()
    summary = write_raw(SimulationConfig(scale="belgium", first_month=first, last_month=last), warehouse)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = con.execute("SELECT count(*) FROM raw.payment_lines").fetchone()[0]
        events = con.execute("SELECT count(*) FROM raw.right_events").fetchone()[0]
    return {
        "years": years,
        "from": f"{first:%Y-%m}",
        "to": f"{last:%Y-%m}",
        "seconds": seconds,
        "cpu": cpu,
        "timings": summary.timings,
        "lines": lines,
        "events": events,
        "lines_per_second": lines / seconds,
        "db_mb": warehouse.stat().st_size / 1e6,
        "summary": summary.line(),
    }


def _phases(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=15, help="years of the raw path (default 15; 0 skips it)")
    parser.add_argument("--month", default="2026-01", help="the month of the XML path (YYYY-MM)")
    parser.add_argument("--skip-xml", action="store_true")
    args = parser.parse_args()
    month = dt.datetime.strptime(args.month, "%Y-%m").date()
    last = add_months(dt.date.today(), -1)
    with tempfile.TemporaryDirectory(prefix="lww-bench-sim-") as tmp:
        workdir = Path(tmp)
        if not args.skip_xml:
            xml = _xml_month(month, workdir)
            print(
                f"XML, one Belgian month ({args.month}): {xml['seconds']:.1f} s for {xml['files']} files, "
                f"{xml['lines']} payment lines, {xml['events']} right events, {xml['xml_mb']:.0f} MB of XML; "
                f"reference {xml['reference_rows']} rows, {xml['reference_mb']:.0f} MB (included); "
                f"CPU {xml['cpu']:.1f} s; phases: {_phases(xml['timings'])}"
            )
        if args.years <= 0:
            return
        raw = _raw_years(args.years, last, workdir)
        note = ""
        if args.years != 15:
            note = f"; extrapolated to 15 years: {raw['seconds'] * 15 / args.years:.0f} s (linear, an estimate)"
        print(
            f"raw, {raw['years']} Belgian years ({raw['from']}..{raw['to']}): {raw['seconds']:.0f} s, "
            f"{raw['lines']} lines, {raw['events']} events, {raw['lines_per_second']:.0f} lines/s, "
            f"DuckDB {raw['db_mb']:.0f} MB; CPU {raw['cpu']:.0f} s; phases: {_phases(raw['timings'])}{note}"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()

"""End-to-end monthly refresh at Belgian scale: years of history already loaded, one new month arriving as XML.

Steps measured from the Dagster run's own step statistics (ingest, dbt, checks, publish); peak memory of the
refresh process (ingest, checks, publish run in it) and of its children (the dbt build), from getrusage.

    nice -n 10 .venv/bin/python -m bench.refresh_bench --years 15            # Belgian scale
    .venv/bin/python -m bench.refresh_bench --years 1 --pcsa 20 --people 2000  # a quick look
"""

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import OUT, RESULTS
from kernel.calendar import add_months, first_saturday
from kernel.settings import settings


def _refresh_in_child(home: Path, reference_date: dt.date) -> dict:
    """One refresh in a fresh process, so its peak memory is its own."""
    code = f"""
import datetime as dt, json, resource, time
from dagster_project.runner import run_refresh
from kernel.settings import settings
import dagster as dg
home = settings({str(home)!r})
started = time.perf_counter()
outcome = run_refresh(home, dt.date.fromisoformat({reference_date.isoformat()!r}))
wall = time.perf_counter() - started
instance = dg.DagsterInstance.get()
steps = {{s.step_key: round(s.end_time - s.start_time, 1) for s in instance.get_run_step_stats(outcome.run_id)
         if s.end_time and s.start_time}}
delta = outcome.published.manifest.get("delta_from") if outcome.published else None
print(json.dumps({{"success": outcome.success, "failures": outcome.failures, "wall_s": round(wall, 1), "steps": steps,
  "published_delta_from": delta,
  "peak_rss_mb_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
  "peak_rss_mb_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _group(steps: dict[str, float]) -> dict[str, float]:
    groups = {"ingest": 0.0, "dbt": 0.0, "checks": 0.0, "publish": 0.0}
    for key, seconds in steps.items():
        if key.startswith("published__"):
            groups["publish"] += seconds
        elif key == "warehouse_models":
            groups["dbt"] += seconds
        elif key in ("upstream_files", "raw__reference", "raw__audit_log"):
            groups["ingest"] += seconds
        else:
            groups["checks"] += seconds
    return {k: round(v, 1) for k, v in groups.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--pcsa", type=int, default=565)
    parser.add_argument("--people", type=int, default=170_000)
    parser.add_argument("--last", default="2026-10", help="the month arriving as XML (YYYY-MM)")
    parser.add_argument("--home", default=str(OUT / "refresh-home"))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    from simulator import SimulationConfig, write_split

    home = settings(args.home)
    last = dt.date.fromisoformat(args.last + "-01")
    first = add_months(last, -12 * args.years + 1)
    held = home.home / "held-back"
    results: dict = {"years": args.years, "pcsa": args.pcsa, "people": args.people, "window": f"{first}..{last}"}
    if args.rebuild or not home.warehouse.exists():
        shutil.rmtree(home.home, ignore_errors=True)
        home.ensure()
        started = time.perf_counter()
        config = SimulationConfig(seed=2026, pcsa=args.pcsa, people=args.people, first_month=first, last_month=last)
        summary, xml_lines = write_split(config, home, last, progress=True)
        results["history"] = {
            "lines": summary.lines - xml_lines,
            "events": summary.events,
            "seconds": round(time.perf_counter() - started, 1),
        }
        held.mkdir(exist_ok=True)
        for path in [*home.payments_inbox.glob("*.xml"), *home.rights_inbox.glob("*.xml")]:
            (held / path.parent.name).mkdir(exist_ok=True)
            shutil.move(path, held / path.parent.name / path.name)
        # The history is in: a first refresh builds every model from scratch and publishes (the full build).
        results["full_refresh"] = _refresh_in_child(home.home, first_saturday(last.year, last.month))
        print(json.dumps(results["full_refresh"]), file=sys.stderr)
    # The new month arrives: the monthly refresh on the first Saturday after it.
    for folder in held.glob("*"):
        for path in folder.glob("*.xml"):
            shutil.move(path, home.inbox / folder.name / path.name)
    nxt = add_months(last, 1)
    arriving = sum(p.stat().st_size for p in home.inbox.rglob("*.xml"))
    monthly = _refresh_in_child(home.home, first_saturday(nxt.year, nxt.month))
    monthly["by_step"] = _group(monthly["steps"])
    monthly["xml_mb"] = round(arriving / 2**20, 1)
    results["monthly_refresh"] = monthly
    results["machine"] = {"cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 1)}
    out = RESULTS / "refresh_bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

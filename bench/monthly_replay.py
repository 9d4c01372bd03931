"""Replay a monthly refresh's dbt build and publication on a copy of a warehouse that already went through it.

bench/refresh_bench.py measures the real thing (history loaded, full refresh, then one month arriving as XML), but
at Belgian scale its full refresh takes over half an hour. This replays only the monthly part, so that a change to
the models can be measured in minutes:

  1. copy the warehouse (left by refresh_bench.py after its monthly refresh) to --work;
  2. forget the last completed build (intermediate.refresh_state's row for --reference-date): the next build is
     incremental from the one before, with the same new lines, replacements and age window as the real monthly
     refresh had;
  3. mark the remaining record as made by the current code (its fingerprint), so that a change of the models does
     not turn the replay into a full build. The kept rows were computed by the code of the time: this measures
     cost, not correctness (tests/dbt/test_incremental_refresh.py checks correctness);
  4. run the pipeline's own dbt command (dagster_project.assets.dbt.build_command) and time it;
  5. publish as a delta from --snapshot (the snapshot the real refresh published before the monthly one).

With --end-to-end HOME (the home refresh_bench.py left: its archive, reference CSVs and Dagster instance), the
whole monthly refresh is replayed through the pipeline's own job instead of steps 4 and 5: the files loaded since
the remaining record are taken out of the copied warehouse (their lines, events and ledger rows) and dropped into
the inbox again from HOME's archive; the reference CSVs and the Dagster instance are copied, so the reference is
kept as unchanged, as in a real monthly refresh, and the home's dbt target gets the parse state its previous build
would have left; then ingest, dbt build, checks and publication run as
`lww refresh` runs them, timed by the run's own step statistics.

    nice -n 10 .venv/bin/python -m bench.monthly_replay --warehouse bench/out/refresh-home/warehouse/warehouse.duckdb \\
        --snapshot bench/out/refresh-home/published/<refresh id of the previous month> --reference-date 2026-11-07 \\
        [--end-to-end bench/out/refresh-home]
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path

import duckdb

from bench import OUT, RESULTS
from bench.refresh_bench import _group, _refresh_in_child
from dagster_project.assets.dbt import build_command, dbt_executable, macros_version
from dagster_project.publication import publish
from kernel.settings import DBT_PROJECT_DIR, settings


def _fingerprint(target: Path, env: dict[str, str]) -> str:
    """macros/refresh/plan.sql's refresh_fingerprint(), from a fresh parse of the current project."""
    env = dict(env, LWW_DBT_MACROS_VERSION=macros_version())
    subprocess.run([dbt_executable(), "parse"], cwd=DBT_PROJECT_DIR, env=env, check=True, capture_output=True)
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    parts = [
        f"{uid}:{node['checksum']['checksum']}"
        for uid, node in sorted(nodes.items())
        if node["resource_type"] == "model"
    ]
    parts += [f"macros_version:{macros_version()}", "max_chain_depth:64"]
    return hashlib.md5("|".join(parts).encode()).hexdigest()  # the same digest as dbt.s local_md5


def _take_out_month_files(warehouse: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """Take the files loaded after the remaining completed-build record out of the warehouse (lines, events,
    ledger rows): (file_id, kind, file name) of each."""
    loaded_at = warehouse.execute("SELECT max(loaded_at) FROM intermediate.refresh_state").fetchone()[0]
    files = warehouse.execute(
        "SELECT file_id, kind, file_name FROM raw.loaded_files WHERE loaded_at > ? ORDER BY loaded_at", [loaded_at]
    ).fetchall()
    ids = [file_id for file_id, _, _ in files]
    for table in ("raw.payment_lines", "raw.right_events", "raw.loaded_files"):
        warehouse.execute(f"DELETE FROM {table} WHERE list_contains(?, file_id)", [ids])
    return files


def _end_to_end(original, home, files: list[tuple[str, str, str]], reference_date: dt.date, parsed: Path) -> dict:
    """The month's files back in the inbox, the reference and Dagster instance of the original home, then the
    pipeline's own refresh job in a child process (refresh_bench.py's)."""
    for _file_id, kind, name in files:
        archived = next(original.archive.rglob(name))
        (home.inbox / kind).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(archived, home.inbox / kind / name)
    shutil.copytree(original.reference, home.reference, dirs_exist_ok=True)
    shutil.rmtree(home.dagster_home, ignore_errors=True)
    shutil.copytree(original.dagster_home, home.dagster_home)
    # the parse state the home's previous build would have left (the same warehouse, the current code)
    home.dbt_target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(parsed / "partial_parse.msgpack", home.dbt_target / "partial_parse.msgpack")
    run = _refresh_in_child(home.home, reference_date)
    if not run["success"]:
        raise SystemExit(f"the replayed refresh failed: {run['failures']}")
    return {
        "reference_date": reference_date.isoformat(),
        "files": [name for _, _, name in files],
        "wall_s": run["wall_s"],
        "by_step": _group(run["steps"]),
        "steps": run["steps"],
        "published_delta_from": run["published_delta_from"],
        "peak_rss_mb_process": run["peak_rss_mb_self"],
        "peak_rss_mb_children": run["peak_rss_mb_children"],
        "machine": {"cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", required=True, help="a warehouse after its monthly refresh (not modified)")
    parser.add_argument("--snapshot", required=True, help="the published snapshot (.duckdb) before that refresh")
    parser.add_argument("--reference-date", required=True, help="R of the monthly refresh replayed")
    parser.add_argument("--work", default=str(OUT / "monthly-replay"))
    parser.add_argument("--output", default=str(RESULTS / "monthly_replay.json"))
    parser.add_argument("--end-to-end", metavar="HOME", help="replay the whole refresh, with HOME's month files")
    args = parser.parse_args()

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    home = settings(work / "home")
    home.ensure()
    started = time.perf_counter()
    shutil.copyfile(args.warehouse, home.warehouse)
    copy_s = time.perf_counter() - started
    snapshot = Path(args.snapshot)
    for path in (snapshot, snapshot.with_suffix(".manifest.json")):
        shutil.copyfile(path, home.published / path.name)
    (home.published / "CURRENT").write_text(snapshot.stem)

    target = work / "dbt-target"
    env = dict(
        os.environ, LWW_WAREHOUSE=str(home.warehouse), DBT_TARGET_PATH=str(target), DBT_LOG_PATH=str(work / "dbt-logs")
    )
    fingerprint = _fingerprint(target, env)
    with duckdb.connect(str(home.warehouse)) as warehouse:
        warehouse.execute("DELETE FROM intermediate.refresh_state WHERE reference_date = ?", [args.reference_date])
        warehouse.execute("UPDATE intermediate.refresh_state SET fingerprint = ?", [fingerprint])
        if args.end_to_end:
            month_files = _take_out_month_files(warehouse)
    if args.end_to_end:
        reference_date = dt.date.fromisoformat(args.reference_date)
        results = _end_to_end(settings(args.end_to_end), home, month_files, reference_date, parsed=target)
        results.update(copy_s=round(copy_s, 1), warehouse_gb=round(home.warehouse.stat().st_size / 2**30, 1))
        Path(args.output).write_text(json.dumps(results, indent=2))
        print(json.dumps(results, indent=2))
        return

    started = time.perf_counter()
    command, variables = build_command(args.reference_date)
    done = subprocess.run(
        [dbt_executable(), *command],
        cwd=DBT_PROJECT_DIR,
        env=dict(env, **variables),  # the parse above left its state in the target: as in a home, a partial parse
        capture_output=True,
        text=True,
        check=False,
    )
    dbt_s = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout[-4000:])
    run_results = json.loads((target / "run_results.json").read_text())
    with duckdb.connect(str(home.warehouse), read_only=True) as warehouse:
        plan = warehouse.execute("SELECT is_full, reason FROM intermediate.int_refresh_plan").fetchone()
        scope = warehouse.execute(
            "SELECT count(*), count(DISTINCT month), count(*) FILTER (WHERE lines_changed) "
            "FROM intermediate.int_refresh_scope"
        ).fetchone()
    if plan[0]:
        raise SystemExit(f"the replayed build was full ({plan[1]}): nothing incremental was measured")

    started = time.perf_counter()
    publication = publish(home, dt.date.fromisoformat(args.reference_date))
    publish_s = time.perf_counter() - started

    slowest = sorted(run_results["results"], key=lambda r: -r["execution_time"])[:12]
    results = {
        "reference_date": args.reference_date,
        "warehouse_gb": round(home.warehouse.stat().st_size / 2**30, 1),
        "copy_s": round(copy_s, 1),
        "scope": {"person_months": scope[0], "months": scope[1], "person_months_with_new_lines": scope[2]},
        "dbt_wall_s": round(dbt_s, 1),
        "dbt_elapsed_s": round(run_results["elapsed_time"], 1),
        "dbt_node_seconds_sum": round(sum(r["execution_time"] for r in run_results["results"]), 1),
        "slowest_nodes": {r["unique_id"]: round(r["execution_time"], 1) for r in slowest},
        "publish_s": round(publish_s, 1),
        "published_as_delta": publication.delta,
        "peak_rss_mb_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "peak_rss_mb_dbt": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
        "machine": {"cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 1)},
    }
    Path(args.output).parent.mkdir(exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""A full dbt build, as a warehouse's first refresh runs it, on the raw tables of an existing warehouse.

The raw schema (upstream lines and events, ledger, reference, audit) is copied into a new DuckDB file, then the
pipeline's own dbt command (dagster_project.assets.dbt.build_command: every model and data test) runs on it.
Wall time, dbt's elapsed time and peak memory (/usr/bin/time) are printed as JSON with the slowest nodes.

    nice -n 10 .venv/bin/python -m bench.full_build --warehouse /tmp/wb/base.duckdb --reference-date 2026-11-07 \\
        --memory-limit 8GB --output bench/results/full_build_15y.json
"""

import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb

from bench import OUT, RESULTS
from dagster_project.assets.dbt import build_command, dbt_executable
from kernel.settings import DBT_PROJECT_DIR


def copy_raw(source: Path, target: Path) -> None:
    with duckdb.connect(str(target)) as connection:
        connection.execute("ATTACH ? AS source (READ_ONLY)", [str(source)])
        connection.execute("CREATE SCHEMA raw")
        tables = connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'source' AND schema_name = 'raw'"
        ).fetchall()
        for (name,) in tables:
            connection.execute(f"CREATE TABLE raw.{name} AS SELECT * FROM source.raw.{name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", required=True, help="a warehouse whose raw tables are built from (read only)")
    parser.add_argument("--reference-date", required=True)
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB's memory_limit for the build")
    parser.add_argument("--work", default=str(OUT / "full-build"))
    parser.add_argument("--output", default=str(RESULTS / "full_build.json"))
    args = parser.parse_args()

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "warehouse.duckdb"
    started = time.perf_counter()
    copy_raw(Path(args.warehouse), warehouse)
    copy_s = time.perf_counter() - started

    command, variables = build_command(args.reference_date)
    env = dict(
        os.environ,
        LWW_WAREHOUSE=str(warehouse),
        LWW_DUCKDB_MEMORY_LIMIT=args.memory_limit,
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        **variables,
    )
    report = work / "time.txt"
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(report), dbt_executable(), *command],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    build_s = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the full build failed:\n{done.stdout[-4000:]}")
    run_results = json.loads((work / "target" / "run_results.json").read_text())
    slowest = sorted(run_results["results"], key=lambda r: -r["execution_time"])[:15]
    results = {
        "reference_date": args.reference_date,
        "duckdb_memory_limit": args.memory_limit,
        "raw_copy_s": round(copy_s, 1),
        "build_wall_s": round(build_s, 1),
        "dbt_elapsed_s": round(run_results["elapsed_time"], 1),
        "peak_rss_mb": int(report.read_text().split()[-1]) // 1024,
        "node_seconds": {
            kind: round(sum(r["execution_time"] for r in run_results["results"] if r["unique_id"].startswith(kind)))
            for kind in ("model.", "test.")
        },
        "slowest_nodes": {r["unique_id"]: round(r["execution_time"], 1) for r in slowest},
        "machine": {"cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 1)},
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

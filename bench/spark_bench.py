"""The dbt full build on Spark (local mode, the `spark` target) against DuckDB (the `warehouse` target), same data,
same machine, same run: wall time, peak memory of the whole process tree, the ratio, and the slowest nodes.

The raw lines are generated in DuckDB SQL as bench/dbt_bench.py makes them (`--beneficiaries` person-months a month
for `--years` years over `--pcsa` CPAS, about 1.1 lines per person-month, with the ledger of their files). Then, in
this order: the pipeline's own full `dbt build` (dagster_project.assets.dbt.build_command) with DuckDB; the raw
tables exported as Parquet files (dagster_project.engines.spark.export_raw, timed apart); the same command with
`--target spark` on a fresh Spark catalogue (Spark builds are always full ones). Peak memory is the largest sum of
the resident sets (VmRSS, /proc) of dbt and every process under it (Spark's JVM is a child of dbt in session mode),
sampled every 0.5 s. A build still running at `--cap` seconds is killed with its process tree and recorded as
unfinished: the nodes done of all (from dbt's log) and the rate.

    nice -n 10 .venv/bin/python -m bench.spark_bench --years 2
    nice -n 10 .venv/bin/python -m bench.spark_bench --years 15 --spark-driver-memory 12g --cap 2700
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb

from bench import OUT, RESULTS, record
from bench.dbt_bench import FIRST_MONTH, add_months, first_saturday, generate
from dagster_project.assets.dbt import build_command, dbt_executable
from dagster_project.engines import spark
from kernel.settings import DBT_PROJECT_DIR, settings

PAGE = os.sysconf("SC_PAGE_SIZE")
# dbt's progress lines: "12 of 213 OK created sql table model main.x ... [OK in 3.21s]"
PROGRESS = re.compile(r"^\d\d:\d\d:\d\d\s+(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b", re.MULTILINE)
NODE_TIME = re.compile(
    r"\b\d+ of \d+ (?:OK|PASS|WARN|ERROR|FAIL)\b.*? (?:model|test|unit test)?\s*([\w.]+) \.+ \[\w+ in ([\d.]+)s\]"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--beneficiaries", type=int, default=170_000, help="person-months a month (Belgium: 170,000)")
    parser.add_argument("--pcsa", type=int, default=565, help="CPAS (Belgium: 565)")
    parser.add_argument("--engines", default="duckdb,spark", help="which builds, in this order (duckdb,spark)")
    parser.add_argument("--duckdb-memory-limit", default="8GB", help="DuckDB's memory_limit for its build")
    parser.add_argument("--spark-driver-memory", default=None, help="LWW_SPARK_DRIVER_MEMORY (default 4g to 5 years, "
                        "12g beyond)")  # fmt: skip
    parser.add_argument("--shuffle-partitions", type=int, default=None, help="LWW_SPARK_SHUFFLE_PARTITIONS (default "
                        "4 to 2 years, 8 to 5 years, 32 beyond)")  # fmt: skip
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark setting for this run (through PYSPARK_SUBMIT_ARGS), e.g. "
                        "spark.sql.cteRecursionRowLimit=-1; repeatable")  # fmt: skip
    parser.add_argument("--cap", type=float, default=2700, help="seconds after which a build is killed (45 min)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: bench/out/spark-<years>y")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the raw tables of a previous run")
    parser.add_argument("--output", type=Path, default=None, help="default: bench/results/spark_bench_<years>y.json")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not engines or set(engines) - {"duckdb", "spark"}:
        parser.error(f"--engines: {args.engines!r} is not a list of duckdb and spark")
    args.engines = engines
    for setting in args.spark_conf:
        if not re.fullmatch(r"spark\.[\w.]+=\S+", setting):
            parser.error(f"--spark-conf: {setting!r} is not spark.<key>=<value>")
    if args.years < 1:
        parser.error(f"--years: {args.years} is not a positive number of years")
    if args.spark_driver_memory is None:
        args.spark_driver_memory = "4g" if args.years <= 5 else "12g"
    if args.shuffle_partitions is None:
        args.shuffle_partitions = 4 if args.years <= 2 else 8 if args.years <= 5 else 32
    args.workdir = args.workdir or OUT / f"spark-{args.years}y"
    args.output = args.output or RESULTS / f"spark_bench_{args.years}y.json"
    return args


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def tree_rss(root: int) -> tuple[int, dict[int, tuple[str, int]]]:
    """Resident bytes of ``root`` and every process under it (each resident set once), and each process's name and
    bytes."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    members, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in members:
                members.add(child)
                frontier.append(child)
    sizes: dict[int, tuple[str, int]] = {}
    programs: dict[int, str] = {}
    for pid in members:
        try:
            resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            programs[pid] = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        sizes[pid] = (name, resident)
    # A child the JVM is spawning (Hadoop's chmod, through posix_spawn) shares the JVM's memory until it executes
    # its program, and /proc shows the JVM's resident set for it too (seen: 7.9 GB for an instant); so does a forked
    # copy for the pages it shares. Not counted twice: a child running its parent's program with at least 3/4 of the
    # parent's resident set.
    shared = {
        pid
        for pid, (_, resident) in sizes.items()
        if pid != root
        and parents.get(pid) in sizes
        and programs.get(pid) == programs.get(parents[pid])
        and resident >= sizes[parents[pid]][1] * 3 / 4
    }
    return sum(size for pid, (_, size) in sizes.items() if pid not in shared), sizes


class PeakSampler(threading.Thread):
    """The peak of the tree's summed resident set, and of its largest process, sampled every ``interval`` s."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_tree = 0
        self.peak_process: tuple[str, int] = ("", 0)
        self.at_peak: dict[str, int] = {}  # each process's resident MB in the sample of the tree's peak
        self.samples = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total, sizes = tree_rss(self.root)
            self.samples += 1
            if total > self.peak_tree:
                self.peak_tree = total
                self.at_peak = {f"{name}[{pid}]": round(size / 2**20) for pid, (name, size) in sizes.items()}
            for name, size in sizes.values():
                if size > self.peak_process[1]:
                    self.peak_process = (name, size)
            self.done.wait(self.interval)


def clean(log_text: str) -> str:
    """dbt's console log without colours, and with Spark's progress bars (ended by carriage returns) on lines of
    their own."""
    return re.sub(r"\x1b\[[0-9;]*m", "", log_text).replace("\r", "\n")


def progress(log_text: str) -> dict[str, int]:
    """How far dbt got, from its console log: the nodes finished and of how many."""
    log_text = clean(log_text)
    found = [(int(index), int(total)) for index, total, _ in PROGRESS.findall(log_text)]
    if not found:
        return {"nodes_done": 0, "nodes": 0}
    nodes = Counter(total for _, total in found).most_common(1)[0][0]
    return {"nodes_done": len({index for index, total in found if total == nodes}), "nodes": nodes}


def slowest(run_results: Path, count: int = 12) -> dict[str, object]:
    results = json.loads(run_results.read_text())["results"]
    ranked = sorted(results, key=lambda r: -r["execution_time"])[:count]
    return {
        "dbt_elapsed_s": round(json.loads(run_results.read_text())["elapsed_time"], 1),
        "nodes": len(results),
        "node_seconds": {
            kind: round(sum(r["execution_time"] for r in results if r["unique_id"].startswith(kind)), 1)
            for kind in ("model.", "test.")
        },
        "slowest_nodes": {r["unique_id"]: round(r["execution_time"], 1) for r in ranked},
    }


def timed_build(label: str, command: list[str], env: dict[str, str], work: Path, cap: float) -> dict[str, object]:
    """Run dbt (its own process group), sample the tree's memory, kill the group at ``cap`` seconds."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**env, "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")}
    console = work / "console.log"
    result: dict[str, object] = {"load_before": load()}
    print(f"{label}: {' '.join(command[1:])} (load {result['load_before']})", flush=True)
    started = time.perf_counter()
    with console.open("w") as out:
        child = subprocess.Popen(
            command, cwd=DBT_PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = PeakSampler(child.pid)
        sampler.start()
        try:
            returncode = child.wait(timeout=cap)
        except subprocess.TimeoutExpired:
            returncode = None
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    text = clean(console.read_text(errors="replace"))
    result.update(
        {
            "wall_s": round(seconds, 1),
            "peak_tree_mb": round(sampler.peak_tree / 2**20),
            "peak_largest_process": {"name": sampler.peak_process[0], "mb": round(sampler.peak_process[1] / 2**20)},
            "processes_at_peak_mb": sampler.at_peak,
            "memory_samples": sampler.samples,
            "load_after": load(),
            **progress(text),
        }
    )
    if returncode is None:
        result["finished"] = False
        result["killed_at_cap_s"] = cap
        done = result["nodes_done"]
        result["nodes_per_minute"] = round(60 * done / seconds, 2) if done else 0.0
        node_times = sorted(((float(t), n) for n, t in NODE_TIME.findall(text)), reverse=True)[:12]
        result["slowest_finished_nodes"] = {n: round(t, 1) for t, n in node_times}
        last = [line for line in text.splitlines() if PROGRESS.search(line) or " START " in line][-3:]
        result["last_log_lines"] = [line.strip() for line in last]
    elif returncode != 0:
        result["finished"] = False
        result["exit_code"] = returncode
        result["errors"] = [
            line.strip()[:400] for line in text.splitlines() if re.search(r"ERROR|Error|Exception:", line)
        ][-6:]
    else:
        result["finished"] = True
        result.update(slowest(work / "target" / "run_results.json"))
    print(f"{label}: {json.dumps(result)}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = settings(args.workdir / "home")
    warehouse = home.warehouse
    reference = first_saturday(add_months(FIRST_MONTH, args.years * 12))
    results: dict[str, object] = {
        "years": args.years,
        "beneficiaries_per_month": args.beneficiaries,
        "pcsa": args.pcsa,
        "reference_date": reference.isoformat(),
        "machine": {"cores": os.cpu_count(), "nice": os.nice(0)},
        "memory_sampling": "sum of VmRSS (/proc/<pid>/statm) of dbt and every process under it, every 0.5 s",
        "duckdb_memory_limit": args.duckdb_memory_limit,
        "spark_settings": {
            "master": os.environ.get("LWW_SPARK_MASTER", "local[*]"),
            "driver_memory": args.spark_driver_memory,
            "shuffle_partitions": args.shuffle_partitions,
            "conf": args.spark_conf,
        },
        "load_at_start": load(),
    }
    if args.skip_generate and args.output.is_file():
        # the same raw lines as the run before: keep what it measured for the engines not run again
        before = json.loads(args.output.read_text())
        kept = {
            key: before[key]
            for key in ("duckdb", "duckdb_memory_limit", "spark", "spark_settings", "raw_export", "generate_s")
            if key in before
        }
        attempts = before.get("earlier_attempts", [])
        if "spark" in args.engines and "spark" in before:
            attempts.append({"spark": before["spark"], "spark_settings": before.get("spark_settings")})
            kept.pop("spark")
            kept.pop("spark_settings", None)
        if "duckdb" in args.engines:
            kept.pop("duckdb", None)
            kept.pop("duckdb_memory_limit", None)
        results.update(kept)
        if attempts:
            results["earlier_attempts"] = attempts
    if args.skip_generate:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            results["lines"] = connection.execute("SELECT count(*) FROM raw.payment_lines").fetchone()[0]
    else:
        results.update(generate(warehouse, args.years, args.beneficiaries, args.pcsa, args.duckdb_memory_limit))
    print(f"{results['lines']:,} lines, R {reference}", flush=True)

    command, variables = build_command(reference.isoformat())
    base_env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "LWW_WAREHOUSE": str(warehouse), **variables}
    for engine in args.engines:
        if engine == "duckdb":
            # a fresh warehouse's first build is a full one: the models of the run before go first
            with duckdb.connect(str(warehouse)) as connection:
                schemas = connection.execute(
                    "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database() "
                    "AND schema_name NOT IN ('raw', 'main', 'information_schema', 'pg_catalog')"
                ).fetchall()
                for (schema,) in schemas:
                    connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
            env = {**base_env, "LWW_DUCKDB_MEMORY_LIMIT": args.duckdb_memory_limit}
            results["duckdb"] = timed_build(
                "duckdb", [dbt_executable(), *command], env, args.workdir / "duckdb", args.cap
            )
        else:
            shutil.rmtree(home.spark_dir, ignore_errors=True)  # a fresh catalogue and tables: a full build
            started = time.perf_counter()
            written = spark.export_raw(warehouse, spark.raw_dir(home))
            results["raw_export"] = {
                "seconds": round(time.perf_counter() - started, 1),
                "rows": sum(written.values()),
                "parquet_mb": round(sum(f.stat().st_size for f in spark.raw_dir(home).rglob("*.parquet")) / 2**20),
                "load_after": load(),
            }
            env = {
                **base_env,
                **spark.environment(home),
                "LWW_SPARK_DRIVER_MEMORY": args.spark_driver_memory,
                "LWW_SPARK_SHUFFLE_PARTITIONS": str(args.shuffle_partitions),
            }
            if args.spark_conf:
                env["PYSPARK_SUBMIT_ARGS"] = " ".join(f"--conf {c}" for c in args.spark_conf) + " pyspark-shell"
            results["spark"] = timed_build(
                "spark", [dbt_executable(), *command, "--target", spark.target()], env, args.workdir / "spark", args.cap
            )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        record(results, args.output)  # after each engine: a killed run keeps what it measured
    duck, spk = results.get("duckdb"), results.get("spark")
    if duck and spk and duck.get("finished") and spk.get("finished"):
        results["ratio_spark_to_duckdb"] = {
            "wall": round(spk["wall_s"] / duck["wall_s"], 2),
            "peak_memory": round(spk["peak_tree_mb"] / duck["peak_tree_mb"], 2),
        }
    record(results, args.output)
    return 0 if all(results[e].get("finished") for e in args.engines) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""bench/spark_bench.py: its choices per size, how it reads dbt's progress from a log (what an unfinished build
records), and that its memory figure counts the children of the process (Spark's JVM is a child of dbt)."""

import os
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.spark_bench import parse_args, progress, tree_rss


def test_the_spark_settings_grow_with_the_years_unless_given():
    small, large = parse_args(["--years", "2"]), parse_args(["--years", "15"])
    assert (small.spark_driver_memory, small.shuffle_partitions) == ("4g", 4)
    assert (large.spark_driver_memory, large.shuffle_partitions) == ("12g", 32)
    assert large.output.name == "spark_bench_15y.json" and large.output.parent.name == "results"
    given_ = parse_args(["--years", "15", "--spark-driver-memory", "6g", "--shuffle-partitions", "8"])
    assert (given_.spark_driver_memory, given_.shuffle_partitions) == ("6g", 8)
    assert parse_args(["--engines", "spark"]).engines == ["spark"]
    assert parse_args(["--spark-conf", "spark.sql.cteRecursionRowLimit=-1"]).spark_conf == [
        "spark.sql.cteRecursionRowLimit=-1"
    ]


@pytest.mark.parametrize(
    "argv", [["--engines", "duckdb,hive"], ["--engines", ""], ["--years", "0"], ["--spark-conf", "rows=-1"]]
)
def test_a_bad_argument_is_refused_with_one_line_naming_it(argv):
    done = subprocess.run(
        [sys.executable, "-m", "bench.spark_bench", *argv], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert argv[0] in done.stderr.strip().splitlines()[-1]


STATUSES = ["OK created sql table model intermediate.x", "PASS not_null_x", "WARN 3 relationships_x", "NO-OP exposure"]


@given(total=st.integers(1, 400), data=st.data())
def test_progress_counts_the_nodes_finished_of_the_run_whatever_else_the_log_says(total, data):
    finished = data.draw(st.sets(st.integers(1, total)))
    lines = ["Running with dbt=1.11", "Found 56 models"]
    for index in sorted(finished):
        lines.append(f"16:00:01  {index} of {total} START sql table model x ..... [RUN]")
        bar = data.draw(st.sampled_from(["", "[Stage 77:====>      (1 + 1) / 2]\r", "\x1b[0m"]))
        lines.append(f"{bar}16:00:02  {index} of {total} {data.draw(st.sampled_from(STATUSES))} .. [OK in 1.0s]")
    lines.append("26/12/06 16:00:03 WARN 3 of 7 OK Spark's own line")  # not dbt's: not counted
    assert progress("\n".join(lines)) == {"nodes_done": len(finished), "nodes": total if finished else 0}


def test_the_memory_of_a_process_tree_includes_its_children():
    child = subprocess.Popen([sys.executable, "-c", "b = bytearray(50 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
                              "import time; time.sleep(30)"])  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            total, sizes = tree_rss(os.getpid())
            if child.pid in sizes and sizes[child.pid][1] > 50 * 2**20:
                break
            time.sleep(0.1)
        assert child.pid in sizes and sizes[child.pid][1] > 50 * 2**20
        assert total >= sizes[os.getpid()][1] + sizes[child.pid][1]
    finally:
        child.kill()
        child.wait()


def test_a_child_that_still_runs_its_parents_program_with_its_memory_is_not_counted_twice():
    # what /proc shows for a child the JVM spawns before it executes its program: the parent's resident set
    held = bytearray(300 * 2**20)
    held[:: 2**12] = b"x" * len(held[:: 2**12])
    pid = os.fork()
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    try:
        time.sleep(0.2)
        total, sizes = tree_rss(os.getpid())
        assert pid in sizes
        assert total == sum(size for p, (_, size) in sizes.items() if p != pid)
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)

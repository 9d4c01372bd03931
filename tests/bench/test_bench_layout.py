"""The benchmarks run as modules of the ``bench`` package (no script edits ``sys.path``) and keep their recorded
results in ``bench/results/``, where bench/README.md cites them."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
RESULTS = BENCH / "results"

SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_benchmark_runs_as_a_module_without_touching_sys_path(name):
    assert "sys.path" not in (BENCH / f"{name}.py").read_text(), f"bench/{name}.py edits sys.path"
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"], cwd=BENCH.parent, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


def test_recorded_results_live_in_results_and_the_readme_cites_only_files_that_exist():
    assert not list(BENCH.glob("*.json")), "recorded results go to bench/results/"
    readme = (BENCH / "README.md").read_text()
    cited = set(re.findall(r"bench/[\w/.-]+?\.json", readme))
    assert cited, "bench/README.md cites its results"
    assert {c for c in cited if not c.startswith("bench/results/")} == set()
    missing = sorted(c for c in cited if "<" not in c and not (BENCH.parent / c).is_file())
    assert missing == []
    assert not re.search(r"python bench/\w+\.py", readme), "commands run the benchmarks as modules"
    assert RESULTS.is_dir()

"""Benchmarks of the warehouse, run as modules from the project root (``python -m bench.<name>``), and where they
keep what they measure: recorded results in ``bench/results/`` (cited by bench/README.md), scratch homes and
warehouses in ``bench/out/`` (git-ignored)."""

import json
import os
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
OUT = BENCH / "out"


def record(results: dict, output: str | Path) -> None:
    """Write a run's results with the load average at its end (the machine is shared: every figure says its load)."""
    results["load_average_after"] = os.getloadavg()
    Path(output).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"results in {output}")

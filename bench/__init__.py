"""Benchmarks of the warehouse, run as modules from the project root (``python -m bench.<name>``), and where they
keep what they measure: recorded results in ``bench/results/`` (cited by bench/README.md), scratch homes and
warehouses in ``bench/out/`` (git-ignored)."""

from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
OUT = BENCH / "out"

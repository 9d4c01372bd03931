"""A tiny simulated upstream, made once per session and copied for each test that runs the pipeline."""

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pytest

from kernel.settings import Settings, settings
from simulator import SimulationConfig, simulate

# Old enough months to be FINAL at R, recent ones still PROVISIONAL.
FIRST, LAST = dt.date(2025, 7, 1), dt.date(2026, 2, 1)
R1 = dt.date(2026, 3, 7)  # first Saturday of March 2026: includes everything accepted up to February
R2 = dt.date(2026, 4, 4)


@pytest.fixture(scope="session")
def upstream_template(tmp_path_factory) -> Settings:
    home = settings(tmp_path_factory.mktemp("upstream")).ensure()
    config = SimulationConfig(seed=11, pcsa=3, people=25, first_month=FIRST, last_month=LAST)
    simulate(config, home)
    return home


@pytest.fixture
def home(upstream_template, tmp_path) -> Settings:
    """The simulated upstream in the inbox, nothing loaded yet."""
    return _copy(upstream_template, tmp_path / "home")


@pytest.fixture(scope="session")
def refreshed_template(upstream_template, tmp_path_factory) -> Settings:
    """The same upstream after one uninterrupted refresh at R1 (made once: a refresh costs a dbt build)."""
    from dagster_project.runner import run_refresh

    refreshed = _copy(upstream_template, tmp_path_factory.mktemp("refreshed") / "home")
    outcome = run_refresh(refreshed, R1)
    assert outcome.success, outcome.failures
    return refreshed


@pytest.fixture
def refreshed(refreshed_template, tmp_path) -> Settings:
    return _copy(refreshed_template, tmp_path / "refreshed")


def _copy(template: Settings, target) -> Settings:
    shutil.copytree(template.home, target)
    return settings(target).ensure()


def start_refresh(home: Settings, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """A real ``lww refresh`` at R1 in its own process (and session, so a test can kill it, or its group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "lww.cli", "--home", str(home.home), "refresh", "--as-of", R1.isoformat()],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )


def table_rows(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@contextmanager
def held_open(path) -> Iterator[subprocess.Popen]:
    """Another process with the DuckDB file open read-write (a DuckDB shell, a bare dbt build) for the block."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
         "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        yield holder
    finally:
        holder.communicate(input="", timeout=30)

"""The small scenario of the extracts' tests: a simulated upstream (3 CPAS, 25 people, 2025-01..2026-02) refreshed
once at R = 2026-07-04, the first Saturday of July: every month of 2025 is FINAL by age, 2026 is not."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from kernel.settings import Settings, settings
from simulator import SimulationConfig, simulate

FIRST, LAST = dt.date(2025, 1, 1), dt.date(2026, 2, 1)
R = dt.date(2026, 7, 4)


@pytest.fixture(scope="session")
def scenario_template(tmp_path_factory) -> Settings:
    from dagster_project.runner import run_refresh

    home = settings(tmp_path_factory.mktemp("extracts") / "home").ensure()
    simulate(SimulationConfig(seed=11, pcsa=3, people=25, first_month=FIRST, last_month=LAST), home)
    outcome = run_refresh(home, R)
    assert outcome.success, outcome.failures
    return home


@pytest.fixture
def scenario(scenario_template, tmp_path) -> Settings:
    """A copy of the refreshed scenario, for a test to write its extracts into."""
    shutil.copytree(scenario_template.home, tmp_path / "home")
    return settings(tmp_path / "home").ensure()

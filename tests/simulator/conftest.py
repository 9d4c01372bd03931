"""One small simulation shared by the simulator's tests (hashing the demo passwords dominates its cost)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kernel.settings import Settings, settings
from simulator.config import SimulationConfig
from simulator.run import Summary, simulate
from tests.simulator.sim_upstream_xml import payment_lines, right_events

CONFIG = SimulationConfig(
    seed=11,
    pcsa=6,
    people=300,
    first_month=dt.date(2024, 1, 1),
    last_month=dt.date(2025, 3, 1),
    today=dt.date(2026, 11, 27),
)


@dataclass
class Run:
    config: SimulationConfig
    settings: Settings
    summary: Summary
    lines: list[dict]
    events: list[dict]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    home = settings(tmp_path_factory.mktemp("simulated"))
    summary = simulate(CONFIG, home)
    return Run(
        config=CONFIG,
        settings=home,
        summary=summary,
        lines=payment_lines(home.payments_inbox),
        events=right_events(home.rights_inbox),
    )

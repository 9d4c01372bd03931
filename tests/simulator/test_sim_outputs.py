"""Determinism for a seed, the raw path agreeing with the XML path, and the configuration's rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from kernel.errors import LwwError
from kernel.raw_tables import PAYMENT_LINES, RIGHT_EVENTS
from kernel.settings import settings
from simulator.config import SimulationConfig
from simulator.run import simulate, write_raw


def _files(home: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(home)): path.read_bytes()
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.suffix in (".xml", ".csv")
    }


def test_the_same_seed_gives_the_same_files_byte_for_byte(small_run, tmp_path: Path) -> None:
    again = simulate(small_run.config, settings(tmp_path))
    first, second = _files(small_run.settings.home), _files(tmp_path)
    assert len(first) == 30 + 6
    assert first == second
    assert again.credentials == small_run.summary.credentials


def test_the_raw_path_writes_what_the_xml_path_writes(small_run, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    summary = write_raw(small_run.config, warehouse)
    assert (summary.lines, summary.events, summary.files) == (
        small_run.summary.lines,
        small_run.summary.events,
        small_run.summary.files,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = con.execute(f"SELECT * FROM {PAYMENT_LINES.qualified} ORDER BY file_id, line_no").fetchall()
        events = con.execute(f"SELECT * FROM {RIGHT_EVENTS.qualified} ORDER BY file_id, line_no").fetchall()
        ledger = con.execute(
            "SELECT file_id, kind, file_name, rows, created_at, reporting_month FROM raw.loaded_files"
        ).fetchall()
        institutions = con.execute("SELECT count(*) FROM raw.ref_institutions").fetchone()[0]
    xml_lines = sorted(tuple(line[c] for c in PAYMENT_LINES.column_names) for line in small_run.lines)
    xml_events = sorted(tuple(event[c] for c in RIGHT_EVENTS.column_names) for event in small_run.events)
    assert lines == xml_lines
    assert events == xml_events
    assert institutions > 30

    expected = {}
    for row in small_run.lines + small_run.events:
        kind = "payments" if "line_id" in row else "rights"
        entry = expected.setdefault(row["file_id"], [kind, 0, row["created_at"]])
        entry[1] += 1
    assert len(ledger) == len(expected)
    for file_id, kind, file_name, rows, created_at, reporting_month in ledger:
        assert [kind, rows, f"{created_at:%Y-%m-%dT%H:%M:%SZ}"] == expected[file_id]
        assert file_name == f"{file_id}.xml"
        assert f"{reporting_month:%Y-%m}" == file_id[4:11]

    with pytest.raises(LwwError, match="already loaded"):
        write_raw(small_run.config, warehouse)


def test_big_months_are_split_into_files_of_bounded_size(tmp_path: Path) -> None:
    config = SimulationConfig(
        seed=11,
        pcsa=3,
        people=60,
        first_month=dt.date(2025, 5, 1),
        last_month=dt.date(2025, 6, 1),
        max_lines_per_file=25,
    )
    warehouse = tmp_path / "w.duckdb"
    write_raw(config, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        per_file = con.execute(
            "SELECT file_id, count(*), max(line_no) FROM raw.payment_lines GROUP BY file_id ORDER BY file_id"
        ).fetchall()
    assert len(per_file) > 2
    assert all(count <= 25 and count == last for _, count, last in per_file)
    assert per_file[0][0] == "PAY-2025-05-001" and per_file[1][0] == "PAY-2025-05-002"


def test_the_default_window_ends_last_month_and_spans_24_months_before() -> None:
    resolved = SimulationConfig(today=dt.date(2026, 3, 15)).resolve()
    assert (resolved.last_month, resolved.first_month) == (2026 * 12 + 1, 2024 * 12 + 1)  # 2026-02, 2024-02
    assert (resolved.pcsa, resolved.people) == (12, 400)
    belgium = SimulationConfig(scale="belgium", today=dt.date(2026, 3, 15)).resolve()
    assert (belgium.pcsa, belgium.people) == (565, 170_000)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (SimulationConfig(first_month=dt.date(2025, 6, 1), last_month=dt.date(2025, 1, 1)), "after --to"),
        (SimulationConfig(last_month=dt.date(2026, 3, 1)), "not a past month"),
        (SimulationConfig(first_month=dt.date(1999, 1, 1)), "too early"),
        (SimulationConfig(pcsa=600), "--pcsa 600"),
        (SimulationConfig(people=0), "--people 0"),
        (SimulationConfig(scale="europe"), "--scale"),
    ],
)
def test_bad_configurations_are_refused_with_a_clear_message(config: SimulationConfig, message: str) -> None:
    dated = SimulationConfig(**{**config.__dict__, "today": dt.date(2026, 3, 15)})
    with pytest.raises(LwwError, match=message):
        dated.resolve()

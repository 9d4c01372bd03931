"""The refresh end to end on a real home: ingest → dbt build → checks → publish, through the Dagster job."""

import os
import signal
import time

import dagster as dg
import duckdb
import pytest

from dagster_project.runner import run_refresh
from kernel import published, snapshots
from kernel.errors import LwwError
from lww import cli
from tests.dagster_project.conftest import R1, R2, start_refresh, table_rows

ALL_ROWS = "SELECT * FROM {t} ORDER BY ALL"


def test_the_first_refresh_publishes_exactly_what_the_marts_hold(refreshed):
    snap = snapshots.current(refreshed.published)
    assert snap is not None
    assert snap.manifest["reference_date"] == "2026-03-07" and snap.manifest["cutoff_date"] == "2026-02-28"
    assert not list(refreshed.payments_inbox.glob("*.xml")), "loaded files leave the inbox"
    assert list((refreshed.archive / "payments").rglob("*.xml"))
    for table in published.TABLES:
        in_snapshot = table_rows(snap.path, ALL_ROWS.format(t=f'"{table.name}"'))
        in_marts = table_rows(refreshed.warehouse, ALL_ROWS.format(t=table.source))
        assert in_snapshot == in_marts, table.name
        assert snap.manifest["row_counts"][table.name] == len(in_marts)
    assert table_rows(snap.path, "SELECT count(*) FROM monthly_amounts")[0][0] > 0
    with duckdb.connect(str(snap.path), read_only=True) as connection:
        assert published.contract_errors(connection) == []
    # R1's cutoff is the end of February: nothing accepted later is in the amounts.
    assert table_rows(refreshed.warehouse, "SELECT max(acceptance_date) FROM raw.payment_lines")[0][0].month == 2


def test_readers_never_block_a_refresh_and_earlier_r_or_rollback_are_explicit(refreshed, capsys):
    first = snapshots.current(refreshed.published)
    reader = snapshots.connect(first)  # a reader holds the current snapshot open
    held = reader.execute("SELECT reference_date FROM snapshot_info").fetchall()
    second = run_refresh(refreshed, R2)
    assert second.success, second.failures
    assert second.published.refresh_id != first.refresh_id
    assert snapshots.current(refreshed.published).reference_date == R2
    # the second build was incremental, so its amounts were published as a delta of the first snapshot: the
    # snapshot still holds exactly what the marts hold
    assert second.published.manifest["delta_from"] == first.refresh_id
    for table in published.TABLES:
        in_snapshot = table_rows(second.published.path, ALL_ROWS.format(t=f'"{table.name}"'))
        assert in_snapshot == table_rows(refreshed.warehouse, ALL_ROWS.format(t=table.source)), table.name
    reference = dg.DagsterInstance.get().get_latest_materialization_event(dg.AssetKey(["raw", "reference"]))
    assert reference.asset_materialization.metadata["reloaded"].value is False  # same CSVs: not loaded again
    assert reader.execute("SELECT reference_date FROM snapshot_info").fetchall() == held
    reader.close()

    # Publishing an earlier R than the one served needs an explicit flag; it is refused before any work.
    with pytest.raises(LwwError, match="go back in time"):
        run_refresh(refreshed, R1)
    assert cli.main(["--home", str(refreshed.home), "refresh", "--as-of", R1.isoformat()]) == 2
    assert "--allow-earlier" in capsys.readouterr().err
    assert snapshots.current_id(refreshed.published) == second.published.refresh_id

    # Rollback serves the previous snapshot again, and says which.
    assert cli.main(["--home", str(refreshed.home), "rollback"]) == 0
    assert snapshots.current_id(refreshed.published) == first.refresh_id
    assert first.refresh_id in capsys.readouterr().out


def test_a_failing_blocking_check_publishes_nothing(refreshed):
    before = snapshots.current(refreshed.published)
    final_month = table_rows(
        before.path,
        "SELECT month FROM monthly_amounts GROUP BY month HAVING bool_and(finality_status = 'FINAL') ORDER BY 1",
    )[0][0]
    # A broken load: the lines of a month that was FINAL disappear from the warehouse.
    with duckdb.connect(str(refreshed.warehouse)) as connection:
        connection.execute("DELETE FROM raw.payment_lines WHERE date_trunc('month', begin_date) = ?", [final_month])
    outcome = run_refresh(refreshed, R2)
    assert not outcome.success
    assert outcome.published is None
    assert any("final_months_stable" in failure for failure in outcome.failures)
    assert snapshots.current_id(refreshed.published) == before.refresh_id


def _content(home) -> dict[str, list[tuple]]:
    current = snapshots.current(home.published).path
    return {
        "lines": table_rows(home.warehouse, "SELECT * EXCLUDE (file_id) FROM raw.payment_lines ORDER BY line_id"),
        "events": table_rows(home.warehouse, "SELECT * EXCLUDE (file_id) FROM raw.right_events ORDER BY event_id"),
        "monthly": table_rows(current, ALL_ROWS.format(t="monthly_amounts")),
        "rights": table_rows(current, ALL_ROWS.format(t="rights")),
    }


def test_a_run_killed_in_the_middle_ends_like_an_uninterrupted_one(home, refreshed_template):
    # Kill a real refresh as soon as it has started writing, then leave a half-written publication behind.
    process = start_refresh(home)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        if list(home.archive.rglob("*.xml")):  # ingest is under way: some files committed, others not yet
            break
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    snapshots.staging_path(home.published, "20260307T060000000000Z-R2026-03-07").write_bytes(b"half a file")

    outcome = run_refresh(home, R1)
    assert outcome.success, outcome.failures
    assert _content(home) == _content(refreshed_template)  # no line twice, none missing
    assert not list(home.published.glob("*.tmp")), "the half-written publication was cleared"


def test_a_second_writer_waits_then_fails_clearly(home):
    from dagster_project.lock import exclusive

    with (
        exclusive(home.warehouse_lock),
        pytest.raises(LwwError, match=rf"the warehouse is busy: another run \(pid {os.getpid()}\) has held"),
        exclusive(home.warehouse_lock, timeout_s=0.3),
    ):
        pass

"""The refresh end to end on a real home: ingest → dbt build → checks → publish, through the Dagster job."""

import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from dagster_project.runner import run_refresh
from kernel import published, snapshots
from lww import cli
from tests.dagster_project.conftest import R1, R2, table_rows

MONTHLY = "SELECT * FROM {t} ORDER BY ALL"


def test_refresh_publishes_what_the_marts_hold_and_readers_never_block_it(home, capsys):
    first = run_refresh(home, R1)
    assert first.success, first.failures
    snap = first.published
    assert snap is not None and snapshots.current_id(home.published) == snap.refresh_id
    assert snap.manifest["reference_date"] == "2026-03-07" and snap.manifest["cutoff_date"] == "2026-02-28"
    assert not list(home.payments_inbox.glob("*.xml")), "loaded files leave the inbox"
    assert list((home.archive / "payments").rglob("*.xml"))

    # The snapshot holds exactly the marts, under the contract.
    for table in published.TABLES:
        in_snapshot = table_rows(snap.path, MONTHLY.format(t=f'"{table.name}"'))
        in_marts = table_rows(home.warehouse, MONTHLY.format(t=table.source))
        assert in_snapshot == in_marts, table.name
        assert snap.manifest["row_counts"][table.name] == len(in_marts)
    assert table_rows(snap.path, "SELECT count(*) FROM monthly_amounts")[0][0] > 0
    with duckdb.connect(str(snap.path), read_only=True) as connection:
        assert published.contract_errors(connection) == []
    assert table_rows(home.warehouse, "SELECT max(acceptance_date) FROM raw.payment_lines")[0][0].month == 2

    # A reader holding the current snapshot open does not block the next refresh, and keeps its answer.
    reader = snapshots.connect(snap)
    held = reader.execute("SELECT reference_date FROM snapshot_info").fetchall()
    second = run_refresh(home, R2)
    assert second.success, second.failures
    assert second.published.refresh_id != snap.refresh_id
    assert snapshots.current(home.published).reference_date == R2
    assert reader.execute("SELECT reference_date FROM snapshot_info").fetchall() == held
    reader.close()

    # Publishing an earlier R than the one served needs an explicit flag.
    earlier = run_refresh(home, R1)
    assert not earlier.success
    assert any("go back in time" in failure for failure in earlier.failures)
    assert snapshots.current_id(home.published) == second.published.refresh_id

    # Rollback serves the previous snapshot again, and says which.
    assert cli.main(["--home", str(home.home), "rollback"]) == 0
    assert snapshots.current_id(home.published) == snap.refresh_id
    assert snap.refresh_id in capsys.readouterr().out


def test_a_failing_blocking_check_publishes_nothing(home):
    first = run_refresh(home, R1)
    assert first.success, first.failures
    final_month = table_rows(
        first.published.path,
        "SELECT month FROM monthly_amounts GROUP BY month HAVING bool_and(finality_status = 'FINAL') ORDER BY 1",
    )[0][0]
    # A broken load: the lines of a month that was FINAL disappear from the warehouse.
    with duckdb.connect(str(home.warehouse)) as connection:
        connection.execute("DELETE FROM raw.payment_lines WHERE date_trunc('month', begin_date) = ?", [final_month])
    outcome = run_refresh(home, R2)
    assert not outcome.success
    assert outcome.published is None
    assert any("final_months_stable" in failure for failure in outcome.failures)
    assert snapshots.current_id(home.published) == first.published.refresh_id
    assert cli.main(["--home", str(home.home), "refresh", "--as-of", R2.isoformat()]) == 2


def _content(home) -> dict[str, list[tuple]]:
    return {
        "lines": table_rows(home.warehouse, "SELECT * EXCLUDE (file_id) FROM raw.payment_lines ORDER BY line_id"),
        "events": table_rows(home.warehouse, "SELECT * EXCLUDE (file_id) FROM raw.right_events ORDER BY event_id"),
        "monthly": table_rows(snapshots.current(home.published).path, MONTHLY.format(t="monthly_amounts")),
        "rights": table_rows(snapshots.current(home.published).path, MONTHLY.format(t="rights")),
    }


def test_a_run_killed_in_the_middle_ends_like_an_uninterrupted_one(home, upstream_template, tmp_path):
    import shutil

    from kernel.settings import settings

    uninterrupted = settings(tmp_path / "uninterrupted")
    shutil.copytree(upstream_template.home, uninterrupted.home)
    assert run_refresh(uninterrupted, R1).success
    expected = _content(uninterrupted)

    # Kill a real refresh as soon as it has started writing, then leave a half-written publication behind.
    env = {**os.environ, "LWW_HOME": str(home.home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "lww.cli", "refresh", "--as-of", R1.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        archived = list(home.archive.rglob("*.xml")) if home.archive.exists() else []
        if archived:  # ingest is under way: some files are committed, others not yet
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    snapshots.staging_path(home.published, "20260307T060000000000Z-R2026-03-07").write_bytes(b"half a file")

    outcome = run_refresh(home, R1)
    assert outcome.success, outcome.failures
    assert _content(home) == expected  # no line twice, none missing
    assert not list(home.published.glob("*.tmp")), "the half-written publication was cleared"


def test_a_second_writer_waits_then_fails_clearly(home):
    from dagster_project.lock import exclusive
    from kernel.errors import LwwError

    with (
        exclusive(home.warehouse_lock),
        pytest.raises(LwwError, match="being written by another run"),
        exclusive(home.warehouse_lock, timeout_s=0.3),
    ):
        pass

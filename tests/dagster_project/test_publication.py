"""Publication as a delta of the current snapshot is verified by checksums against the warehouse: the rows the
build recomputed, and every delta table whole. A snapshot that does not hold what the warehouse holds is never
published."""

import inspect
import os
import shutil

import duckdb

from dagster_project import publication
from dagster_project.publication import DELTA_ROWS, delta_errors
from dagster_project.runner import run_refresh
from kernel import snapshots
from tests.dagster_project.conftest import R2


def test_a_delta_over_a_corrupted_snapshot_stops_publication(refreshed):
    before = snapshots.current(refreshed.published)
    # a row of the oldest month (FINAL, outside what the next build recomputes) altered in the served snapshot
    os.chmod(before.path, 0o644)
    with duckdb.connect(str(before.path)) as snap:
        snap.execute(
            "UPDATE monthly_amounts SET amount = amount + 1 WHERE rowid = (SELECT min(rowid) FROM monthly_amounts"
            " WHERE month = (SELECT min(month) FROM monthly_amounts))"
        )
    os.chmod(before.path, 0o444)
    outcome = run_refresh(refreshed, R2)
    assert not outcome.success
    assert outcome.published is None
    reason = " ".join(outcome.failures)
    assert "does not hold what the warehouse holds" in reason, outcome.failures
    assert "table monthly_amounts, the whole table" in reason, outcome.failures
    assert snapshots.current_id(refreshed.published) == before.refresh_id
    assert not list(refreshed.published.glob("*.tmp")), "the rejected snapshot was left behind"


def test_the_delta_check_names_a_recomputed_row_that_differs(refreshed, tmp_path):
    first = snapshots.current(refreshed.published)
    outcome = run_refresh(refreshed, R2)
    assert outcome.success, outcome.failures
    assert outcome.published.manifest["delta_from"] == first.refresh_id
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(outcome.published.path, copy)
    os.chmod(copy, 0o644)
    with duckdb.connect(str(copy)) as snap:
        snap.execute("ATTACH ? AS wh (READ_ONLY)", [str(refreshed.warehouse)])
        assert delta_errors(snap) == []
        recomputed = DELTA_ROWS["monthly_amounts"]
        (rows,) = snap.execute(f"SELECT count(*) FROM monthly_amounts WHERE {recomputed}").fetchone()
        assert rows > 0
        snap.execute(
            "UPDATE monthly_amounts SET covers_whole_period = NOT covers_whole_period"
            f" WHERE rowid = (SELECT min(rowid) FROM monthly_amounts WHERE {recomputed})"
        )
        errors = delta_errors(snap)
    assert len(errors) == 1 and errors[0].startswith("table monthly_amounts, the rows this build recomputed"), errors


def test_publication_reads_the_delta_from_one_model_and_no_intermediate_one():
    """What the build recomputed is written once, by dbt (marts.fct_refresh_delta): publication names no
    intermediate model, and every delta table's rows come from that model."""
    source = inspect.getsource(publication)
    assert "intermediate." not in source
    assert DELTA_ROWS and all("wh.marts.fct_refresh_delta" in where for where in DELTA_ROWS.values())


def test_a_publication_publishes_verified_index_files_with_the_snapshot(refreshed):
    """The service's index files are built by the publication, verified against the snapshot and recorded in
    its manifest with their checksums: the service only opens them."""
    from kernel.durable import sha256_of
    from kernel.index import files as index_files

    snapshot = snapshots.current(refreshed.published)
    folder = snapshot.index_folder
    assert folder == snapshots.index_path(refreshed.published, snapshot.refresh_id) and folder.is_dir()
    recorded = snapshot.manifest["index"]
    assert recorded["files"] and {p.name for p in folder.glob("*.npy")} == set(recorded["files"])
    assert all(sha256_of(folder / name) == f["sha256"] for name, f in recorded["files"].items())
    with snapshots.connect(snapshot) as connection:
        assert index_files.verify(folder, connection, snapshot.refresh_id) == []
        (rights,) = connection.execute("SELECT count(*) FROM rights WHERE status = 'ACTIVE'").fetchone()
    assert rights > 0 and index_files.describe(folder)["indexes"]["rights"]["rows"] == rights
    assert not list(refreshed.published.glob("*.index.tmp"))

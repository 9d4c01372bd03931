import datetime as dt
import json
import os

import duckdb
import pytest

from kernel import published, snapshots


def _stage(published_dir, reference_date, now):
    refresh_id = snapshots.new_refresh_id(reference_date, now)
    with duckdb.connect(str(snapshots.staging_path(published_dir, refresh_id))) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    return refresh_id


def test_commit_switches_current_and_refuses_to_overwrite(tmp_path):
    first = _stage(tmp_path, dt.date(2026, 10, 3), dt.datetime(2026, 10, 3, 6, tzinfo=dt.UTC))
    snap = snapshots.commit(tmp_path, first, {"reference_date": "2026-10-03"})
    assert snapshots.current_id(tmp_path) == first
    assert snapshots.current(tmp_path).reference_date == dt.date(2026, 10, 3)
    assert not os.access(snap.path, os.W_OK) or os.geteuid() == 0  # read-only file (root ignores modes)
    assert len(snap.manifest["sha256"]) == 64
    with snapshots.connect(snap) as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
        with pytest.raises(duckdb.Error):
            con.execute("INSERT INTO t VALUES (2)")
    with pytest.raises(snapshots.SnapshotError, match="no staged snapshot"):
        snapshots.commit(tmp_path, first, {})


def test_rollback_target_prune_and_stale_staging(tmp_path):
    ids = [_stage(tmp_path, dt.date(2026, m, 1), dt.datetime(2026, m, 1, 6, tzinfo=dt.UTC)) for m in (8, 9, 10, 11)]
    for refresh_id in ids:
        snapshots.commit(tmp_path, refresh_id, {"reference_date": refresh_id[-10:]})
    assert snapshots.previous_id(tmp_path) == ids[2]
    snapshots.switch_current(tmp_path, ids[0], reason="rollback")
    stale = snapshots.staging_path(tmp_path, "killed")
    stale.write_bytes(b"half")
    deleted = snapshots.prune(tmp_path, keep=2)
    assert deleted == [ids[1]]  # the oldest is CURRENT, so it stays
    assert snapshots.list_ids(tmp_path) == [ids[0], ids[2], ids[3]]
    assert not stale.exists()
    assert "rollback" in (tmp_path / "CURRENT.log").read_text()


def test_contract_errors_name_the_table_and_columns():
    con = duckdb.connect()
    for table in (*published.TABLES, published.SNAPSHOT_INFO):
        con.execute(table.ddl())
    assert published.contract_errors(con) == []
    con.execute("ALTER TABLE monthly_amounts DROP COLUMN finality_status")
    con.execute("DROP TABLE rights")
    errors = published.contract_errors(con)
    assert "table rights is missing" in errors
    assert any(e.startswith("table monthly_amounts has columns") for e in errors)


def _stage_index(published_dir, refresh_id, payload=b"rows"):
    """Index files staged beside a staged snapshot (their content is the publication's business)."""
    folder = snapshots.index_staging_path(published_dir, refresh_id)
    folder.mkdir()
    (folder / "a.people.npy").write_bytes(payload)
    files = {"a.people.npy": {"bytes": len(payload), "sha256": "0" * 64}}
    (folder / "index.json").write_text(json.dumps({"format": 2, "files": files}))
    return files


def test_index_files_are_committed_with_their_snapshot_and_pruned_with_it(tmp_path):
    ids = [_stage(tmp_path, dt.date(2026, m, 1), dt.datetime(2026, m, 1, 6, tzinfo=dt.UTC)) for m in (8, 9, 10)]
    for refresh_id in ids:
        files = _stage_index(tmp_path, refresh_id)
        snap = snapshots.commit(tmp_path, refresh_id, {"reference_date": refresh_id[-10:]})
        # moved into place before the manifest that records them, and so before CURRENT names the snapshot
        assert snap.index_folder == snapshots.index_path(tmp_path, refresh_id)
        assert (snap.index_folder / "a.people.npy").read_bytes() == b"rows"
        assert snap.manifest["index"] == {"folder": f"{refresh_id}.index", "format": 2, "files": files}
        assert snapshots.load(tmp_path, refresh_id).index_folder == snap.index_folder
        assert not snapshots.index_staging_path(tmp_path, refresh_id).exists()
    # a snapshot whose index folder exists is never committed again
    _stage(tmp_path, dt.date(2026, 10, 1), dt.datetime(2026, 10, 1, 6, tzinfo=dt.UTC))
    with pytest.raises(snapshots.SnapshotError, match="already exists"):
        snapshots.commit(tmp_path, ids[2], {})
    snapshots.staging_path(tmp_path, ids[2]).unlink()
    killed = snapshots.index_staging_path(tmp_path, "killed")
    killed.mkdir()
    assert snapshots.prune(tmp_path, keep=1) == ids[:2]
    assert not snapshots.index_path(tmp_path, ids[0]).exists() and not snapshots.index_path(tmp_path, ids[1]).exists()
    assert snapshots.index_path(tmp_path, ids[2]).is_dir() and not killed.exists()
    assert snapshots.list_ids(tmp_path) == [ids[2]]


def test_a_snapshot_published_without_index_files_has_no_index_folder(tmp_path):
    refresh_id = _stage(tmp_path, dt.date(2026, 10, 3), dt.datetime(2026, 10, 3, 6, tzinfo=dt.UTC))
    snap = snapshots.commit(tmp_path, refresh_id, {"reference_date": "2026-10-03"})
    assert snap.index_folder is None and "index" not in snap.manifest

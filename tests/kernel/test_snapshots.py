import datetime as dt
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

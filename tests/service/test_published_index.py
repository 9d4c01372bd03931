"""The index files published with a snapshot: the service opens them, never sorts; damaged ones are detected and
built again in the service's cache; a snapshot published before them is still served (built once, as before)."""

from __future__ import annotations

import logging
import os

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel import snapshots
from kernel.index import INDEXES
from kernel.index import files as index_files
from kernel.settings import settings as make_settings
from service.snapshot_store import SnapshotStore
from tests.service.conftest import PASSWORD_A, USER_A, R, RunningService, X, basic, fixture_rows, publish
from tests.service.test_json_and_ops import AMOUNTS_URL, amount_request


@pytest.fixture
def home(tmp_path):
    return make_settings(tmp_path / "home").ensure()


def _store(home) -> SnapshotStore:
    return SnapshotStore(home.published, home.service_cache / "indexes")


def test_published_index_files_are_verified_and_answer_as_the_ones_the_service_builds(home):
    refresh_id = publish(home.published, fixture_rows(), index=True)
    snapshot = snapshots.current(home.published)
    with snapshots.connect(snapshot) as connection:
        assert index_files.verify(snapshot.index_folder, connection, refresh_id) == []
    store = _store(home)
    published = store.get()
    assert published.index_source == "published" and store.cache.builds == 0 and store.cache.opened == 1
    assert not (home.service_cache / "indexes").exists() or not list((home.service_cache / "indexes").iterdir())
    # the same snapshot's indexes built by the service (as for a snapshot published without them): row for row
    built = store.cache.open(snapshots.Snapshot(refresh_id, snapshot.path, {}))[0]
    assert store.cache.builds == 1
    for key in INDEXES:
        people = [p.decode() for p in built[key].people.tolist()]
        assert [p.decode() for p in published.indexes[key].people.tolist()] == people
        assert all(published.indexes[key].rows(p) == built[key].rows(p) for p in people), key


def test_the_service_opens_published_index_files_without_building(home):
    publish(home.published, fixture_rows(), index=True)
    with RunningService(home.home) as running:
        response = httpx.post(running.url + AMOUNTS_URL, json=amount_request(), headers=basic(USER_A, PASSWORD_A))
        assert response.status_code == 200, response.text
        assert response.json()["status"]["value"] == "DATA_FOUND" and response.json()["amount"]
        metrics = httpx.get(running.url + "/metrics").text
        assert "lww_service_snapshot_index_built 0.0" in metrics
        assert running.service.store.cache.builds == 0 and running.service.store.cache.opened == 1
    assert not list((home.service_cache / "indexes").glob("*.v*"))


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_damaged_published_index_files_are_detected_and_built_again_by_the_service(home, damage, caplog):
    refresh_id = publish(home.published, fixture_rows(), index=True)
    folder = snapshots.current(home.published).index_folder
    victim = sorted(folder.glob("rights.*.npy"))[0]
    os.chmod(folder, 0o750)
    if damage == "missing":
        victim.unlink()
    else:
        os.chmod(victim, 0o640)
        victim.write_bytes(victim.read_bytes()[:-8])
    store = _store(home)
    with caplog.at_level(logging.WARNING, logger="service.index.cache"):
        loaded = store.get()
    assert loaded.index_source == "cache" and store.cache.builds == 1 and store.cache.opened == 0
    assert victim.name in caplog.text and "damaged" in caplog.text
    assert loaded.rights.periods(X)  # answered from the indexes built in the service's cache
    assert (store.cache.folder(refresh_id) / "index.json").is_file()


def test_verification_names_a_file_whose_content_changed_and_an_index_of_another_snapshot(home):
    first = publish(home.published, fixture_rows(), index=True)
    snapshot = snapshots.current(home.published)
    folder = snapshot.index_folder
    victim = folder / "integrations.people.npy"
    os.chmod(victim, 0o640)
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF  # same size: only the checksum tells
    victim.write_bytes(bytes(data))
    with snapshots.connect(snapshot) as connection:
        errors = index_files.verify(folder, connection, first)
    assert errors == [f"{victim}: checksum differs from the one described"]
    # intact files of a snapshot verified against another one with other rows: refused by their row counts
    rows = fixture_rows()
    rows["rights"] = rows["rights"][:-1]
    other = publish(home.published, rows, reference_date=R.replace(day=5), index=True)
    with snapshots.connect(snapshots.load(home.published, other)) as connection:
        describing = index_files.describe(snapshots.load(home.published, other).index_folder)
        assert index_files.verify(snapshots.load(home.published, other).index_folder, connection, other) == []
        errors = index_files.verify(folder, connection, first)
    assert any("checksum" in e for e in errors)
    victim.write_bytes(bytes(data[:-1]) + bytes([data[-1] ^ 0xFF]))  # repaired
    with snapshots.connect(snapshots.load(home.published, other)) as connection:
        errors = index_files.verify(folder, connection, first)
    assert errors and all("rows, the snapshot's query" in e for e in errors), errors
    assert describing["indexes"]["rights"]["rows"] + 1 == index_files.describe(folder)["indexes"]["rights"]["rows"]


def test_a_snapshot_published_before_index_files_is_served_again_by_a_rollback(home):
    old = publish(home.published, fixture_rows())  # published before index files: its manifest names none
    new = publish(home.published, fixture_rows(), reference_date=R.replace(day=5), index=True)
    store = _store(home)
    assert store.get().refresh_id == new and store.cache.builds == 0 and store.cache.opened == 1
    snapshots.switch_current(home.published, old, reason="rollback")
    loaded = store.wait_loaded()
    assert loaded.refresh_id == old and loaded.index_source == "cache" and store.cache.builds == 1
    assert loaded.rights.periods(X) == store.cache.indexes(snapshots.load(home.published, new))["rights"].periods(X)
    # switching back opens the published files again: nothing more is built
    snapshots.switch_current(home.published, new, reason="publish")
    assert store.wait_loaded().index_source == "published" and store.cache.builds == 1


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_published_index_files_verify_and_match_the_service_built_ones_for_any_rows(tmp_path_factory, data):
    """Whatever rows a snapshot holds (any subset of the fixture's, in any order), the files publication builds
    verify against it, and answer every person as the ones the service builds from the same snapshot."""
    rows = {}
    for name, table_rows in fixture_rows().items():
        kept = data.draw(st.permutations(table_rows))
        rows[name] = kept[: data.draw(st.integers(0, len(kept)))]
    home = make_settings(tmp_path_factory.mktemp("any")).ensure()
    refresh_id = publish(home.published, rows, index=True)
    snapshot = snapshots.current(home.published)
    with snapshots.connect(snapshot) as connection:
        assert index_files.verify(snapshot.index_folder, connection, refresh_id) == []
    store = _store(home)
    published, source = store.cache.open(snapshot)
    built = store.cache.open(snapshots.Snapshot(refresh_id, snapshot.path, {}))[0]
    assert source == "published" and store.cache.builds == 1
    for key in INDEXES:
        assert published[key].people.tolist() == built[key].people.tolist()
        assert len(published[key]) == len(built[key])
        assert all(published[key].rows(p.decode()) == built[key].rows(p.decode()) for p in built[key].people), key

"""The new-files sensor: a refresh (R = today) when upstream or reference files land or change, keyed on hashes."""

import json
import shutil

import dagster as dg

from dagster_project.resources import Warehouse
from dagster_project.sensors import new_files_sensor


def _evaluate(home, cursor):
    instance = dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"warehouse": Warehouse(home=str(home.home))}
    ) as context:
        result = new_files_sensor(context)
        return result, context.cursor


def test_new_files_start_one_refresh_then_nothing_until_something_changes(home):
    first, cursor = _evaluate(home, None)
    assert isinstance(first, dg.RunRequest)
    # Files are partitioned by the month SPP IS created them: July's acceptances arrive early in August.
    assert first.tags["dagster/asset_partition_range_start"] == "2025-08-01"
    assert first.tags["dagster/asset_partition_range_end"] == "2026-03-01"
    assert "lww/reference_date" in first.tags

    again, cursor = _evaluate(home, cursor)
    assert isinstance(again, dg.SkipReason)

    pcsa = home.reference / "pcsa.csv"
    pcsa.write_text(pcsa.read_text(encoding="utf-8") + "", encoding="utf-8")  # touched, same content
    touched, cursor = _evaluate(home, cursor)
    assert isinstance(touched, dg.SkipReason), "same bytes, same hash: no refresh"

    late = sorted(home.payments_inbox.glob("*.xml"))[-1]
    shutil.copy(late, home.payments_inbox / "PAY-late-copy.xml")
    landed, cursor = _evaluate(home, cursor)
    assert isinstance(landed, dg.RunRequest)
    assert landed.run_key != first.run_key


def _first_tick(home):
    """The sensor's first evaluation (no cursor), with the home's own Dagster instance, as the UI starts it."""
    with (
        dg.DagsterInstance.from_config(str(home.dagster_home)) as instance,
        dg.build_sensor_context(instance=instance, resources={"warehouse": Warehouse(home=str(home.home))}) as context,
    ):
        return new_files_sensor(context), context.cursor


def test_starting_the_ui_after_a_refresh_starts_no_second_refresh(refreshed):
    first, cursor = _first_tick(refreshed)
    assert isinstance(first, dg.SkipReason), first
    assert str(refreshed.reference / "pcsa.csv") in json.loads(cursor)


def test_a_file_the_ledger_holds_is_not_new_at_the_first_tick_and_a_new_one_is(refreshed):
    archived = sorted(refreshed.archive.rglob("*.xml"))[-1]
    shutil.copy(archived, refreshed.payments_inbox / archived.name)  # loaded, then found in the inbox again
    first, _ = _first_tick(refreshed)
    assert isinstance(first, dg.SkipReason), first
    (refreshed.payments_inbox / "PAY-other-bytes.xml").write_bytes(archived.read_bytes() + b"\n")
    landed, _ = _first_tick(refreshed)
    assert isinstance(landed, dg.RunRequest)


def test_reference_data_changed_since_the_last_load_is_new_at_the_first_tick(refreshed):
    pcsa = refreshed.reference / "pcsa.csv"
    pcsa.write_text(pcsa.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    first, _ = _first_tick(refreshed)
    assert isinstance(first, dg.RunRequest)

"""The new-files sensor: a refresh (R = today) when upstream or reference files land or change, keyed on hashes."""

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

"""Delivery from Dagster: the sensor asks for one delivery run per publication, and the run delivers (or, when
a notifier is already delivering, says so and ends)."""

from __future__ import annotations

import dagster as dg

from dagster_project.definitions import build_definitions
from dagster_project.keys import SNAPSHOT
from dagster_project.notifications import POOL, deliver_notifications, notify_after_publication, notify_job
from dagster_project.resources import Warehouse
from service.notifications import store
from tests.service.notifications.notify_fixture import RunningSubscriber, due_rows, free_port, publish_due


def step_metadata(result) -> dict:
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return output.event_specific_data.metadata


def test_one_delivery_run_per_publication_in_its_own_pool(tmp_path):
    defs = build_definitions(str(tmp_path / "home"))
    assert defs.resolve_job_def("notify_job") is not None
    assert deliver_notifications.pool == POOL != "warehouse"
    with dg.instance_for_test() as instance:
        requests = []
        for refresh_id in ("R1", "R1", "R2"):
            instance.report_runless_asset_event(dg.AssetMaterialization(SNAPSHOT, metadata={"refresh_id": refresh_id}))
            context = dg.build_sensor_context(
                instance=instance, definitions=defs, cursor=requests[-1][1] if requests else None
            )
            result = notify_after_publication.evaluate_tick(context)
            requests.append(([r.run_key for r in result.run_requests], result.cursor))
    assert [keys for keys, _ in requests] == [["notify-R1"], ["notify-R1"], ["notify-R2"]]  # a rerun key is one run


def test_the_run_delivers_and_steps_aside_for_a_running_notifier(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    rows = due_rows(f"http://127.0.0.1:{port}", rights=20, events=2)
    publish_due(home / "published", rows)
    resources = {"warehouse": Warehouse(home=str(home))}
    with store.notifier_lock(home / "notifications"):
        busy = notify_job.execute_in_process(resources=resources)
    assert busy.success
    assert "another notifier" in step_metadata(busy)["skipped"].value
    with RunningSubscriber(home, port) as subscriber:
        result = notify_job.execute_in_process(resources=resources)
        received = subscriber.received()
    assert result.success
    metadata = step_metadata(result)
    assert metadata["delivered"].value == 40 and metadata["failed_attempts"].value == 0
    assert set(received) == {row["ticket_cbss"] for row in rows}

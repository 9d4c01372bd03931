"""Delivering the notifications from Dagster: after each publication, a run of ``deliver_notifications`` (what
``lww notify`` does, once) in its own pool.

The run does not touch the warehouse (it reads the published snapshot and writes the notifier's own store), so
it claims a slot of the ``notifications`` pool, never the warehouse's: a delivery never waits for a refresh, nor a
refresh for a delivery. The instance's default pool limit (1, ``runner.DAGSTER_YAML``) makes it one delivery run
at a time; the notifier's own lock also covers ``lww notify`` started by hand: when one is delivering
(``--follow``), the run says so and ends, since that notifier imports the new snapshot by itself.
"""

import dagster as dg

from dagster_project.keys import SNAPSHOT
from dagster_project.resources import Warehouse

POOL = "notifications"


@dg.op(pool=POOL, description="Deliver the notifications due in the current snapshot (lww notify, once).")
def deliver_notifications(context: dg.OpExecutionContext, warehouse: Warehouse) -> dg.Output:
    from service.notifications import config, delivery, store

    home = warehouse.settings
    settings = config.from_environment()
    try:
        with store.notifier_lock(home.notifications):
            writer = store.Store(home.notifications)
            try:
                summary = delivery.run(writer, settings, home.published, follow=False, say=context.log.info)
            finally:
                writer.close()
    except store.NotifierBusy as busy:
        context.log.info(f"{busy}: it delivers this publication")
        return dg.Output(None, metadata={"delivered": 0, "skipped": str(busy)})
    context.log.info(f"delivered {summary.delivered}, failed attempts {summary.failed}")
    return dg.Output(
        None,
        metadata={
            "imported": summary.imported,
            "delivered": summary.delivered,
            "failed_attempts": summary.failed,
            "outcomes": dict(summary.outcomes),
        },
    )


@dg.job(description="Deliver the due notifications of the current snapshot to the subscribers (CONTRACT §6).")
def notify_job():
    deliver_notifications()


@dg.asset_sensor(
    asset_key=SNAPSHOT,
    job=notify_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each publication, a delivery run of the notifications it made due.",
)
def notify_after_publication(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    metadata = asset_event.asset_materialization.metadata if asset_event.asset_materialization else {}
    refresh_id = metadata["refresh_id"].value if "refresh_id" in metadata else str(asset_event.storage_id)
    return dg.RunRequest(run_key=f"notify-{refresh_id}")

"""Batch consultation from Dagster: a sensor on the drop folder ``$LWW_HOME/batch/in/<cbe>/`` starts one run of
``answer_batch_file`` per file dropped (what ``lww batch --watch`` does for that file), visible in the UI with the
file's name and sender as tags.

The run does not touch the warehouse (it answers from the published snapshot and writes the audit log and the
batch folders), so it claims a slot of the ``batch`` pool, never the warehouse's: a batch never waits for a
refresh, nor a refresh for a batch. Two runs of the same file (or one with ``lww batch --watch``) meet on the
batch store's lock: the second delivers the first one's stored result.
"""

from pathlib import Path

import dagster as dg

from dagster_project.resources import Warehouse

POOL = "batch"


class BatchFile(dg.Config):
    path: str
    sender: str  # the CBE number of the drop folder: who sent the file


@dg.op(pool=POOL, description="Answer one batch consultation file of the drop folder (CONTRACT §5).")
def answer_batch_file(context: dg.OpExecutionContext, config: BatchFile, warehouse: Warehouse) -> dg.Output:
    from service.channels import batch

    path = Path(config.path)
    outcome = batch.handle_dropped(warehouse.settings, config.sender, path)
    if outcome is None:
        reason = batch.reason_path(path)
        said = reason.read_text(encoding="utf-8").strip() if reason.exists() else f"{path.name}: already handled"
        context.log.warning(said)
        return dg.Output(None, metadata={"file": path.name, "sender": config.sender, "refused": said})
    context.log.info(f"{path.name}: {outcome.kind}, {outcome.requests} requests -> {outcome.output}")
    return dg.Output(
        None,
        metadata={
            "file": path.name,
            "sender": config.sender,
            "batch_id": outcome.batch_id,
            "outcome": outcome.kind,
            "requests": outcome.requests,
            "output": str(outcome.output),
            "snapshot": outcome.snapshot_id,
            **outcome.synthesis,
        },
    )


@dg.job(description="Answer one batch consultation file dropped in $LWW_HOME/batch/in/<cbe>/ (CONTRACT §5).")
def batch_job():
    answer_batch_file()


@dg.sensor(
    job=batch_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A run per batch consultation file dropped in $LWW_HOME/batch/in/<cbe>/.",
)
def batch_drop_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    from service.channels import batch

    found = batch.pending_files(warehouse.settings)
    if not found:
        return dg.SkipReason("no file in the batch drop folder")
    requests = []
    for sender, path in found:
        stat = path.stat()
        requests.append(
            dg.RunRequest(
                run_key=f"batch-{sender}-{path.name}-{stat.st_size}-{stat.st_mtime_ns}",
                run_config=dg.RunConfig(ops={"answer_batch_file": BatchFile(path=str(path), sender=sender)}),
                tags={"lww/batch_file": path.name, "lww/sender": sender},
            )
        )
    return requests

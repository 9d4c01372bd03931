"""Sensors: a refresh when new upstream or reference files land (keyed on their hashes, so rights are
consultable within a day of registration), and a run-failure sensor that leaves a trace operators see."""

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg

from dagster_project.dates import partition_range_tags, run_tags
from dagster_project.jobs import refresh_job
from dagster_project.resources import Warehouse
from kernel.calendar import today_brussels
from kernel.settings import Settings


def watched_files(home: Settings) -> list[Path]:
    files = [*home.payments_inbox.glob("*.xml"), *home.rights_inbox.glob("*.xml"), *home.reference.glob("*.csv")]
    return sorted(p for p in files if p.is_file())


def fingerprints(home: Settings, previous: dict[str, list]) -> dict[str, list]:
    """{path: [size, mtime_ns, sha256]}; a file whose size and mtime did not change is not hashed again."""
    result = {}
    for path in watched_files(home):
        stat = path.stat()
        known = previous.get(str(path))
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            result[str(path)] = known
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        result[str(path)] = [stat.st_size, stat.st_mtime_ns, digest]
    return result


def pending_months(home: Settings) -> list[dt.date]:
    """Reporting months of the files waiting in the inbox (a file with an unreadable header has none)."""
    import ingest

    return sorted({f.reporting_month for f in ingest.pending_files(home) if f.reporting_month})


@dg.sensor(
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a refresh (R = today) when upstream files land in the inbox or reference data changes.",
)
def new_files_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    home = warehouse.settings
    previous = json.loads(context.cursor) if context.cursor else {}
    current = fingerprints(home, previous)
    if not (set(current) - set(previous)) and all(current[p][2] == previous[p][2] for p in current if p in previous):
        context.update_cursor(json.dumps(current))
        return dg.SkipReason("no new or changed file in the inbox or reference/")
    key = hashlib.sha256("".join(sorted(v[2] for v in current.values())).encode()).hexdigest()[:16]
    context.update_cursor(json.dumps(current))
    today = today_brussels()
    months = pending_months(home) or [today.replace(day=1)]
    return dg.RunRequest(run_key=f"files-{key}", tags={**run_tags(today), **partition_range_tags(months)})


@dg.run_failure_sensor(
    monitored_jobs=[refresh_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records every failed refresh in $LWW_HOME/logs/failed-refreshes.log.",
)
def refresh_failure_sensor(context: dg.RunFailureSensorContext, warehouse: Warehouse) -> None:
    log = warehouse.settings.logs / "failed-refreshes.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    message = (context.failure_event.message or "").replace("\n", " ")
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"{dt.datetime.now(dt.UTC).isoformat()} run {context.dagster_run.run_id}: {message}\n")

"""Sensors: a refresh when new upstream or reference files land (keyed on their hashes, so rights are
consultable within a day of registration), and a run-failure sensor that leaves a trace operators see.

The new-files sensor's first cursor is what the warehouse already holds (:func:`known_at_start`), so starting
the Dagster UI over a home that was just refreshed (``lww demo``) starts no second refresh."""

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg

from dagster_project import webhook
from dagster_project.assets.ingest import last_reference_fingerprint, reference_fingerprint
from dagster_project.dates import partition_range_tags, run_tags
from dagster_project.jobs import refresh_job, ssh_extract_job
from dagster_project.keys import SNAPSHOT
from dagster_project.lock import exclusive
from dagster_project.resources import Warehouse
from dagster_project.warehouse import opened
from kernel.calendar import add_months, first_saturday, today_brussels
from kernel.errors import LwwError
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


FIRST_LOOK_WAIT_S = 10.0  # how long the first tick waits for a refresh holding the warehouse


def known_at_start(instance: dg.DagsterInstance, home: Settings) -> dict[str, list]:
    """The first cursor: the watched files the warehouse already holds.

    The reference CSVs when, together, they are the files the last reference load hashed (its materialization's
    ``sha256``); the inbox files whose sha-256 the ledger (``raw.loaded_files``) has, loaded but not yet moved
    away. Raises :class:`LwwError` when a refresh holds the warehouse longer than :data:`FIRST_LOOK_WAIT_S`.
    """
    current = fingerprints(home, {})
    references = {path: value for path, value in current.items() if Path(path).parent == home.reference}
    known = {}
    if references and reference_fingerprint(home.reference) == last_reference_fingerprint(instance):
        known.update(references)
    inbox = {path: value for path, value in current.items() if path not in references}
    if inbox and home.warehouse.exists():
        hashes = sorted({value[2] for value in inbox.values()})
        with exclusive(home.warehouse_lock, timeout_s=FIRST_LOOK_WAIT_S), opened(home, read_only=True) as con:
            exists = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'loaded_files'"
            ).fetchone()[0]
            marks = ", ".join("?" for _ in hashes)
            sql = f"SELECT DISTINCT sha256 FROM raw.loaded_files WHERE sha256 IN ({marks})"
            loaded = {row[0] for row in con.execute(sql, hashes).fetchall()} if exists else set()
        known.update({path: value for path, value in inbox.items() if value[2] in loaded})
    return known


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
    if context.cursor:
        previous = json.loads(context.cursor)
    else:
        try:
            previous = known_at_start(context.instance, home)
        except LwwError as busy:
            return dg.SkipReason(f"first look at the files waits for the next tick: {busy}")
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
    description="Records every failed refresh in $LWW_HOME/logs/failed-refreshes.log, and posts it (run, job, "
    "step, cause) to $LWW_FAILURE_WEBHOOK_URL when that is set.",
)
def refresh_failure_sensor(context: dg.RunFailureSensorContext, warehouse: Warehouse) -> None:
    log = warehouse.settings.logs / "failed-refreshes.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    message = (context.failure_event.message or "").replace("\n", " ")
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"{dt.datetime.now(dt.UTC).isoformat()} run {context.dagster_run.run_id}: {message}\n")
    try:
        failed = webhook.failed_run(context.dagster_run, context.get_step_failure_events(), context.failure_event)
    except Exception as error:  # the run's events unreadable: the webhook still hears of it
        failed = webhook.FailedRun(context.dagster_run.run_id, context.dagster_run.job_name, "run", str(error))
    outcome = webhook.notify(failed)
    if outcome:
        context.log.info(outcome)


@dg.asset_sensor(
    asset_key=SNAPSHOT,
    job=ssh_extract_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each first-Saturday refresh, the harmonised social statuses of the month before.",
)
def ssh_after_first_saturday(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    metadata = asset_event.asset_materialization.metadata if asset_event.asset_materialization else {}
    if "reference_date" not in metadata or "refresh_id" not in metadata:
        return dg.SkipReason("the snapshot's materialization names no reference date")
    return ssh_request(dt.date.fromisoformat(metadata["reference_date"].value), metadata["refresh_id"].value)


def ssh_request(reference_date: dt.date, refresh_id: str) -> dg.RunRequest | dg.SkipReason:
    """What a publication starts (pure): the statuses of the month before R when R is a first Saturday."""
    if reference_date != first_saturday(reference_date.year, reference_date.month):
        return dg.SkipReason(f"R={reference_date} is not a first Saturday: the monthly statuses wait for one")
    month = add_months(reference_date, -1)
    return dg.RunRequest(run_key=f"ssh-{month:%Y-%m}-{refresh_id}", partition_key=month.isoformat())

"""Run the refresh job in process (``lww refresh``, ``lww demo``, tests) against a persistent Dagster instance
in ``$LWW_HOME/dagster``, so runs started from the command line show in the UI like scheduled ones."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from dagster_project.checks import FinalMovesAccepted
from dagster_project.dates import partition_range_tags, run_tags
from dagster_project.failures import StepFailure, cause_from_event, one_line, step_of
from dagster_project.keys import POOL, POOL_LIMIT, SNAPSHOT
from dagster_project.lock import busy
from dagster_project.progress import DBT_STEP, RefreshTally
from dagster_project.publication import check_reference_date
from dagster_project.warehouse import connect_warehouse
from kernel import snapshots
from kernel.errors import LwwError
from kernel.processes import pid_alive
from kernel.settings import Settings

DAGSTER_YAML = f"""\
# Written by the warehouse: one writer at a time (the `{POOL}` pool), no telemetry.
concurrency:
  pools:
    default_limit: {POOL_LIMIT}
telemetry:
  enabled: false
"""


def prepare_dagster_home(home: Settings) -> None:
    home.dagster_home.mkdir(parents=True, exist_ok=True)
    config = home.dagster_home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)


PID_TAG = "lww/pid"
HOST_TAG = "lww/host"
NO_PUBLISH_TAG = "lww/no_publish"  # a run of `lww refresh --no-publish`: built and checked, nothing published


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the in-process runs whose process died (killed, machine restarted) and free their pool slots.

    A run killed in the middle keeps its slot of the warehouse pool (``keys.POOL``) claimed, and every later run
    would wait for it forever. Runs started here carry their pid and host: a STARTED run of this host whose
    process is gone is dead. Runs launched by the daemon are watched by Dagster's own run monitoring.
    """
    released = []
    records = instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
    )
    for record in records:
        run = record.dagster_run
        pid = run.tags.get(PID_TAG)
        if not pid or run.tags.get(HOST_TAG) != socket.gethostname() or pid_alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"its process (pid {pid}) is gone: killed, or the machine restarted")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def check_not_busy(home: Settings) -> None:
    """Refuse at once, naming the holder, when the warehouse is being written (by a run, a child process of an
    earlier run still dying, or another program that has the DuckDB file open)."""
    holder = busy(home.warehouse_lock)
    if holder:
        raise LwwError(f"the warehouse is busy: {holder} holds {home.warehouse_lock}; wait for it, or stop it")
    if home.warehouse.exists():
        connect_warehouse(home).close()  # DuckDB's own lock: a one-line error naming the process


@dataclass(frozen=True)
class RefreshOutcome:
    success: bool
    run_id: str
    reference_date: dt.date
    published: snapshots.Snapshot | None  # the snapshot this run published, None when it published nothing
    failures: list[str]  # one line each: "refresh failed at <step>: <cause>"
    materialized: int
    seconds: float
    tally: RefreshTally = field(default_factory=RefreshTally)  # files, rows, models, checks: what the run did

    @property
    def reason(self) -> str | None:
        """Why the refresh failed, in one line (the first failed step and its cause); None when it succeeded."""
        if self.success:
            return None
        return self.failures[0] if self.failures else "refresh failed (see the run's log in the Dagster UI)"


def run_refresh(
    home: Settings,
    reference_date: dt.date,
    *,
    allow_earlier: bool = False,
    full_refresh: bool = False,
    accept_final_moves: FinalMovesAccepted | None = None,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "WARNING",
    on_progress: Callable[[RefreshTally], None] | None = None,
    publish: bool = True,
) -> RefreshOutcome:
    """Ingest → dbt build → checks → publish, once, in this process.

    Raises LwwError at once when R is earlier than the R served (unless ``allow_earlier``) or when the warehouse
    is busy; otherwise never raises for a failed step: the outcome says what failed, and why.
    ``full_refresh`` rebuilds every model; ``accept_final_moves`` publishes even if FINAL months moved beyond
    the threshold, and records the decision. ``on_progress`` is called with the run's tally, in this thread, each
    time an event of the run changes it (a phase begins, a model is built, a check is evaluated).
    ``publish=False`` runs every step but the publication (and the checks of the published snapshot): the
    warehouse is ingested, built and checked, no snapshot is made and ``CURRENT`` is left as it is."""
    from dagster_project.definitions import build_definitions
    from dagster_project.sensors import pending_months

    home.ensure()
    check_reference_date(home, reference_date, allow_earlier)  # refuse before building anything
    check_not_busy(home)
    prepare_dagster_home(home)
    started = dt.datetime.now(dt.UTC)
    before = snapshots.current_id(home.published)
    months = pending_months(home) or [reference_date.replace(day=1)]
    job = build_definitions(str(home.home)).resolve_job_def("refresh")
    instance = instance or dg.DagsterInstance.get()
    release_dead_runs(instance)
    tally = RefreshTally(models_total=dbt_model_count(job))
    run_id = str(uuid.uuid4())
    # without the publication: every asset of the job but the snapshot; the checks follow their assets
    selection = None if publish else [key for key in job.asset_layer.selected_asset_keys if key != SNAPSHOT]

    def listen(entry) -> None:
        if entry.dagster_event is not None and tally.add(entry.dagster_event) and on_progress is not None:
            on_progress(tally)

    instance.add_event_listener(run_id, listen)
    result = job.execute_in_process(
        instance=instance,
        run_id=run_id,
        tags={
            **run_tags(reference_date, allow_earlier=allow_earlier, full_refresh=full_refresh),
            **(accept_final_moves.tags() if accept_final_moves else {}),
            **partition_range_tags(months),
            PID_TAG: str(os.getpid()),
            HOST_TAG: socket.gethostname(),
            **({} if publish else {NO_PUBLISH_TAG: "true"}),
        },
        asset_selection=selection,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    failures = failures_of(result.all_events)
    after = snapshots.current_id(home.published)
    materialized = sum(1 for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION")
    return RefreshOutcome(
        success=result.success and not failures,
        run_id=result.run_id,
        reference_date=reference_date,
        published=snapshots.current(home.published) if after != before else None,
        failures=failures,
        materialized=materialized,
        seconds=(dt.datetime.now(dt.UTC) - started).total_seconds(),
        tally=tally,
    )


def dbt_model_count(job: dg.JobDefinition) -> int:
    """The dbt models the job builds (the assets of its dbt step)."""
    from dagster._core.definitions.dependency import NodeHandle

    assets = job.asset_layer.get_assets_def_for_node(NodeHandle(DBT_STEP, None))
    return len(assets.keys) if assets is not None else 0


def failures_of(events: list[dg.DagsterEvent]) -> list[str]:
    """Each failed step, and each failed blocking check, with its cause: for a step that was retried, the
    error of its tries (Dagster's own failure then says only "Exceeded max_retries")."""
    failures: list[StepFailure] = []
    retried = {}
    for event in events:
        if event.event_type_value == "STEP_UP_FOR_RETRY":
            retried[event.step_key] = event.event_specific_data.error
        elif event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            description = data.user_failure_data.description if data and data.user_failure_data else None
            error = data.error if data else None
            if error is not None and error.cls_name == "DagsterMaxRetriesExceededError" and event.step_key in retried:
                error = retried[event.step_key] if not (error.cause or error.context) else error
            failures.append(StepFailure(step_of(event.step_key), cause_from_event(error, description)))
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                what = f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed"
                cause = f"{what}: {evaluation.description}" if evaluation.description else what
                failures.append(StepFailure("checks", one_line(cause)))
    return [str(f) for f in failures]

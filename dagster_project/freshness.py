"""Is the published snapshot the one the schedule promised? A freshness check on ``published/snapshot``.

A publication at P is fresh until the first refresh window after it has passed: the next first Saturday 06:00
Brussels after P (the refresh schedule's next tick) plus a grace, ``LWW_FRESHNESS_GRACE_HOURS`` (default 6). Then
it is stale until a new publication: the check fails, with the last publication and when the next one was
expected by. No publication at all is stale too.

The check runs with every refresh (after publication: it passes), and the :func:`snapshot_freshness` sensor runs
it once when the expected publication has not come by its time: one check run per missed refresh, none
otherwise. What readers serve is what is checked: CURRENT and
its manifest's ``published_at``, not Dagster's record of materializations (``lww publish`` may switch CURRENT).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.dates import SCHEDULE_TIMEZONE
from dagster_project.failures import step_errors
from dagster_project.keys import SNAPSHOT
from dagster_project.resources import Warehouse
from kernel import snapshots
from kernel.calendar import add_months, first_saturday
from kernel.settings import env_number

GRACE_ENV = "LWW_FRESHNESS_GRACE_HOURS"
REFRESH_TIME = dt.time(6)  # the refresh schedule's hour (dates.SCHEDULE_CRON)
BRUSSELS = ZoneInfo(SCHEDULE_TIMEZONE)


def grace() -> dt.timedelta:
    """How long after a first Saturday's 06:00 its publication may take: ``LWW_FRESHNESS_GRACE_HOURS``."""
    return dt.timedelta(hours=env_number(GRACE_ENV, 6.0, minimum=0))


def next_refresh_window(after: dt.datetime) -> dt.datetime:
    """The first first-Saturday 06:00 Brussels strictly after ``after`` (aware)."""
    local = after.astimezone(BRUSSELS)
    month = local.date().replace(day=1)
    while True:
        start = dt.datetime.combine(first_saturday(month.year, month.month), REFRESH_TIME, BRUSSELS)
        if start > local:
            return start
        month = add_months(month, 1)


@dataclass(frozen=True)
class Freshness:
    last_publication: dt.datetime | None
    expected_by: dt.datetime  # when the next publication is (or was) due at the latest
    stale: bool

    def description(self) -> str:
        if self.last_publication is None:
            return "No snapshot is published yet: run lww refresh."
        last = f"{self.last_publication.astimezone(BRUSSELS):%Y-%m-%d %H:%M} Brussels"
        due = f"{self.expected_by.astimezone(BRUSSELS):%Y-%m-%d %H:%M} Brussels"
        if self.stale:
            return f"Stale: the last publication was at {last}; the next was expected by {due}."
        return f"Fresh: published at {last}; the next publication is expected by {due}."


def freshness(published_at: dt.datetime | None, now: dt.datetime, grace_period: dt.timedelta) -> Freshness:
    """The rule (pure): fresh until the refresh window after the publication, plus the grace, has passed."""
    if published_at is None:  # due since the last refresh window (or the one about to open)
        window = next_refresh_window(now - dt.timedelta(days=40))
        while next_refresh_window(window) <= now:
            window = next_refresh_window(window)
        return Freshness(None, window + grace_period, stale=True)
    expected_by = next_refresh_window(published_at) + grace_period
    return Freshness(published_at, expected_by, stale=now >= expected_by)


def published_at(home_published) -> tuple[dt.datetime | None, snapshots.Snapshot | None]:
    snapshot = snapshots.current(home_published)
    if snapshot is None:
        return None, None
    moment = dt.datetime.fromisoformat(snapshot.manifest["published_at"])
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)), snapshot


def evaluate(warehouse: Warehouse, now: dt.datetime | None = None) -> dg.AssetCheckResult:
    """The check's result for the snapshot CURRENT names, at ``now``."""
    moment, snapshot = published_at(warehouse.settings.published)
    state = freshness(moment, now or dt.datetime.now(dt.UTC), grace())
    metadata: dict[str, object] = {
        "last_publication": dg.MetadataValue.timestamp(state.last_publication) if state.last_publication else "never",
        "expected_by": dg.MetadataValue.timestamp(state.expected_by),
        "grace_hours": grace().total_seconds() / 3600,
    }
    if snapshot is not None:
        metadata |= {"refresh_id": snapshot.refresh_id, "reference_date": snapshot.reference_date.isoformat()}
    return dg.AssetCheckResult(
        passed=not state.stale,
        severity=dg.AssetCheckSeverity.ERROR,
        description=state.description(),
        metadata=metadata,
    )


@dg.asset_check(
    asset=SNAPSHOT,
    name="published_on_schedule",
    blocking=False,
    description="Fresh until the first Saturday after its publication, 06:00 Brussels, plus a grace "
    "(LWW_FRESHNESS_GRACE_HOURS, 6 by default); then stale until a new publication. Metadata: the last "
    "publication and when the next one is expected by.",
)
def snapshot_published_on_schedule(warehouse: Warehouse) -> dg.AssetCheckResult:
    with step_errors():  # a bad LWW_FRESHNESS_GRACE_HOURS: one line naming it, not retried
        return evaluate(warehouse)


@dg.sensor(
    asset_selection=dg.AssetSelection.checks(snapshot_published_on_schedule),
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the snapshot's freshness check once when the publication it expected has not come by its "
    "time (first Saturday 06:00 Brussels + grace): the check then shows the snapshot stale in the catalog.",
)
def snapshot_freshness(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    return freshness_request(warehouse, dt.datetime.now(dt.UTC))


def freshness_request(warehouse: Warehouse, now: dt.datetime) -> dg.RunRequest | dg.SkipReason:
    """What a tick does: nothing while the snapshot is fresh; once stale, one check run per missed deadline (the
    run key names the last publication: a new one resets it)."""
    moment, snapshot = published_at(warehouse.settings.published)
    state = freshness(moment, now, grace())
    if not state.stale:
        return dg.SkipReason(state.description())
    key = snapshot.refresh_id if snapshot is not None else "none"
    return dg.RunRequest(run_key=f"stale-{key}", asset_check_keys=[snapshot_published_on_schedule.check_key])

"""The monthly refresh on the first Saturday of every month, R = that day (Europe/Brussels); the yearly SPF
Finances extract on the first Saturday of July."""

import datetime as dt

import dagster as dg

from dagster_project.dates import (
    SCHEDULE_CRON,
    SCHEDULE_TIMEZONE,
    is_first_saturday,
    partition_range_tags,
    run_tags,
)
from dagster_project.jobs import finances_extract_job, refresh_job
from dagster_project.resources import Warehouse
from dagster_project.sensors import pending_months


@dg.schedule(
    job=refresh_job,
    cron_schedule=SCHEDULE_CRON,
    execution_timezone=SCHEDULE_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="First Saturday of the month, 06:00 Brussels: publishes what SPP IS accepted up to the last "
    "day of the previous month (R = that Saturday).",
)
def first_saturday_refresh(context: dg.ScheduleEvaluationContext, warehouse: Warehouse):
    day = context.scheduled_execution_time.date()
    return tick_request(day, pending_months(warehouse.settings) if is_first_saturday(day) else [])


def tick_request(day: dt.date, pending: list[dt.date]) -> dg.RunRequest | dg.SkipReason:
    """What a tick does (pure): a refresh with R = ``day``. The cron ticks on first Saturdays only; an evaluation
    for another day (the UI's "Test schedule" at a chosen time) starts nothing."""
    if not is_first_saturday(day):
        return dg.SkipReason(f"{day} is a Saturday, but not the first of its month")
    months = pending or [day.replace(day=1)]
    return dg.RunRequest(run_key=f"first-saturday-{day}", tags={**run_tags(day), **partition_range_tags(months)})


# The first Saturday of July (cron's "#1": the first such weekday of the month; here one field says it, unlike the
# refresh's), at noon: after that morning's refresh (06:00) published the amounts accepted up to June, when every
# month of the year before is FINAL by age (December's age is 6). A year still not final fails the run, visibly.
FINANCES_CRON = "0 12 * 7 6#1"


@dg.schedule(
    job=finances_extract_job,
    cron_schedule=FINANCES_CRON,
    execution_timezone=SCHEDULE_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="First Saturday of July, 12:00 Brussels: the SPF Finances extract of the year before.",
)
def yearly_finances_extract(context: dg.ScheduleEvaluationContext):
    return finances_request(context.scheduled_execution_time.date())


def finances_request(day: dt.date) -> dg.RunRequest:
    """What a July tick runs (pure): the finances extract of the tax year before ``day``."""
    year = day.year - 1
    return dg.RunRequest(run_key=f"finances-{year}-{day}", partition_key=str(year))

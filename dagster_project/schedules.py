"""The monthly refresh on the first Saturday of every month, R = that day (Europe/Brussels)."""

import datetime as dt

import dagster as dg

from dagster_project.dates import (
    SCHEDULE_CRON,
    SCHEDULE_TIMEZONE,
    is_first_saturday,
    partition_range_tags,
    run_tags,
)
from dagster_project.jobs import refresh_job
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
    """What a Saturday tick does (pure): a refresh with R = ``day`` on the first Saturday, else nothing."""
    if not is_first_saturday(day):
        return dg.SkipReason(f"{day} is a Saturday, but not the first of its month")
    months = pending or [day.replace(day=1)]
    return dg.RunRequest(run_key=f"first-saturday-{day}", tags={**run_tags(day), **partition_range_tags(months)})

"""Pure date rules of orchestration: which day is a refresh day, and the R a run works for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from kernel.calendar import first_saturday, parse_date, today_brussels

REFERENCE_DATE_TAG = "lww/reference_date"
ALLOW_EARLIER_TAG = "lww/allow_earlier_reference_date"
FULL_REFRESH_TAG = "lww/full_refresh"  # "true": dbt rebuilds every model (dbt build --full-refresh)

# "6#1": the first Saturday of the month (Dagster's cron accepts the nth-weekday form), so every tick is a refresh
# day and the UI's "Next tick" is the next real run. Not "0 6 1-7 * 6": day-of-month and day-of-week fields
# together mean *either* (days 1-7 or any Saturday).
SCHEDULE_CRON = "0 6 * * 6#1"
SCHEDULE_TIMEZONE = "Europe/Brussels"


def is_first_saturday(day: dt.date) -> bool:
    return day == first_saturday(day.year, day.month)


def first_saturdays(first_year: int, last_year: int) -> list[dt.date]:
    return [first_saturday(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]


def reference_date_from_tags(tags: Mapping[str, str], now: dt.datetime | None = None) -> dt.date:
    """R of a run: its ``lww/reference_date`` tag, else today in Europe/Brussels."""
    text = tags.get(REFERENCE_DATE_TAG)
    return parse_date(text) if text else today_brussels(now)


def run_tags(reference_date: dt.date, *, allow_earlier: bool = False, full_refresh: bool = False) -> dict[str, str]:
    tags = {REFERENCE_DATE_TAG: reference_date.isoformat()}
    if allow_earlier:
        tags[ALLOW_EARLIER_TAG] = "true"
    if full_refresh:
        tags[FULL_REFRESH_TAG] = "true"
    return tags


def partition_range_tags(months: list[dt.date]) -> dict[str, str]:
    """Tags that make one run cover the reporting months ``months`` (first..last) of the ingest assets."""
    if not months:
        return {}
    return {
        "dagster/asset_partition_range_start": min(months).isoformat(),
        "dagster/asset_partition_range_end": max(months).isoformat(),
    }

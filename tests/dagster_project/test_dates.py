"""The refresh runs on the first Saturday of every month, R = that day; nothing else about its dates."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagster_project.checks import missing_months
from dagster_project.dates import (
    SCHEDULE_CRON,
    SCHEDULE_TIMEZONE,
    first_saturdays,
    is_first_saturday,
    partition_range_tags,
    reference_date_from_tags,
)
from dagster_project.resources import Warehouse
from dagster_project.schedules import first_saturday_refresh, tick_request


def test_schedule_fires_exactly_on_first_saturdays_2026_to_2028():
    from dagster._utils.schedules import cron_string_iterator

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    fired = []
    for tick in cron_string_iterator(start, SCHEDULE_CRON, SCHEDULE_TIMEZONE):
        if tick.year > 2028:
            break
        assert (tick.hour, tick.minute, tick.tzinfo.key) == (6, 0, "Europe/Brussels")
        request = tick_request(tick.date(), [])
        assert isinstance(request, dg.RunRequest)  # no tick to skip: every tick is a refresh day
        assert request.tags["lww/reference_date"] == tick.date().isoformat()
        fired.append(tick.date())
    assert fired == first_saturdays(2026, 2028)
    assert len(fired) == 36
    assert all(d.weekday() == 5 and d.day <= 7 for d in fired)


def test_the_schedule_itself_on_a_first_and_a_second_saturday(tmp_path):
    warehouse = Warehouse(home=str(tmp_path))
    first = dt.datetime(2026, 11, 7, 6, tzinfo=ZoneInfo("Europe/Brussels"))
    second = dt.datetime(2026, 11, 14, 6, tzinfo=ZoneInfo("Europe/Brussels"))
    with dg.build_schedule_context(scheduled_execution_time=first, resources={"warehouse": warehouse}) as context:
        request = first_saturday_refresh(context)
    assert isinstance(request, dg.RunRequest)
    assert request.tags["lww/reference_date"] == "2026-11-07"
    with dg.build_schedule_context(scheduled_execution_time=second, resources={"warehouse": warehouse}) as context:
        assert isinstance(first_saturday_refresh(context), dg.SkipReason)


def test_cron_is_not_the_day_of_month_or_weekday_trap():
    assert SCHEDULE_CRON.split()[2] == "*"  # "1-7 * 6" would mean days 1-7 OR any Saturday


def test_the_next_ticks_are_the_next_first_saturdays_at_six_in_brussels():
    # what the UI's "Next tick" shows: Dagster's own iteration of the schedule's cron, from New Year's Eve 2026
    from dagster._utils.schedules import cron_string_iterator

    start = dt.datetime(2026, 12, 31, 12, tzinfo=ZoneInfo("Europe/Brussels")).timestamp()
    ticks = cron_string_iterator(start, SCHEDULE_CRON, SCHEDULE_TIMEZONE)
    upcoming = [next(ticks) for _ in range(6)]
    assert [t.date() for t in upcoming] == [
        dt.date(2027, 1, 2), dt.date(2027, 2, 6), dt.date(2027, 3, 6),
        dt.date(2027, 4, 3), dt.date(2027, 5, 1), dt.date(2027, 6, 5),
    ]  # fmt: skip
    assert {(t.hour, t.minute) for t in upcoming} == {(6, 0)}
    # 06:00 in Brussels across the change to summer time (March 28, 2027): UTC 05:00 in winter, 04:00 in summer
    assert [t.astimezone(dt.UTC).hour for t in upcoming] == [5, 5, 5, 4, 4, 4]


@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2060, 12, 31)))
def test_from_any_day_the_next_tick_is_the_next_first_saturday(day):
    from dagster._utils.schedules import cron_string_iterator

    start = dt.datetime.combine(day, dt.time(6), ZoneInfo("Europe/Brussels")).timestamp()
    tick = next(cron_string_iterator(start, SCHEDULE_CRON, SCHEDULE_TIMEZONE))
    # a tick at the start time itself is the next one (the iteration includes its start)
    following = next(d for d in (day + dt.timedelta(days=n) for n in range(40)) if is_first_saturday(d))
    assert tick.date() == following


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 8, 1), True),
        (dt.date(2026, 8, 8), False),
        (dt.date(2026, 11, 7), True),
        (dt.date(2026, 11, 6), False),
    ],
)
def test_is_first_saturday(day, expected):
    assert is_first_saturday(day) is expected


def test_reference_date_from_tags_defaults_to_brussels_today():
    assert reference_date_from_tags({"lww/reference_date": "2026-07-04"}) == dt.date(2026, 7, 4)
    new_year_utc = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert reference_date_from_tags({}, now=new_year_utc) == dt.date(2027, 1, 1)


def test_partition_range_tags_cover_first_to_last_month():
    tags = partition_range_tags([dt.date(2026, 3, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)])
    assert tags == {
        "dagster/asset_partition_range_start": "2026-01-01",
        "dagster/asset_partition_range_end": "2026-03-01",
    }
    assert partition_range_tags([]) == {}


def test_missing_upstream_months_are_named():
    months = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 5, 1)]
    assert missing_months(months) == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    assert missing_months([]) == []

"""Dates of the domain: the reference date R, cutoff(R), month ages, first Saturdays, Brussels' today.

Upstream dates carry no time zone; "today", R and the schedule are in Europe/Brussels (DOMAIN.md).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def today_brussels(now: dt.datetime | None = None) -> dt.date:
    moment = now or dt.datetime.now(tz=BRUSSELS)
    if moment.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    return moment.astimezone(BRUSSELS).date()


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=_calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def amounts_date(reference_date: dt.date) -> dt.date:
    """A(R): the latest first Saturday of a month on or before R (R itself when R is a first Saturday).

    Amounts move at first weekends only (DOMAIN.md): every amount rule (included lines, ages, finality, last
    indemnified month, the open end of an amounts request, the amounts' ``referenceDate``) reads A(R) where it says
    R; rights use R itself.
    """
    saturday = first_saturday(reference_date.year, reference_date.month)
    if saturday <= reference_date:
        return saturday
    before = add_months(reference_date, -1)
    return first_saturday(before.year, before.month)


def cutoff(reference_date: dt.date) -> dt.date:
    """cutoff(R): the last day of the month before A(R)'s month, what a refresh at R includes of the amounts."""
    return month_start(amounts_date(reference_date)) - dt.timedelta(days=1)


def month_age(month: dt.date, reference_date: dt.date) -> int:
    """Whole months from the first day of month+1 to R (2026-03 at 2026-07-04 -> 3); negative for the future."""
    start = add_months(month, 1)
    months = (reference_date.year - start.year) * 12 + reference_date.month - start.month
    if reference_date.day < start.day:
        months -= 1
    return months


def first_saturday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(5 - first.weekday()) % 7)


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` -> the first day of that month, with an error that says what is expected."""
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"{text!r} is not a month: expected YYYY-MM") from None


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: expected YYYY-MM-DD") from None

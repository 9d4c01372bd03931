"""Dates as integer days since 1970-01-01 (Arrow ``date32``, numpy ``datetime64[D]``) and months as indexes.

Working on integers keeps millions of lines vectorised; ``month index`` = year * 12 + month - 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)


def to_day(day: dt.date) -> int:
    return (day - EPOCH).days


def from_day(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_date(index: int) -> dt.date:
    """The first day of month ``index``."""
    return dt.date(index // 12, index % 12 + 1, 1)


def month_first_day(index: int) -> int:
    return to_day(month_date(index))


def month_last_day(index: int) -> int:
    return month_first_day(index + 1) - 1


def months_of(days: np.ndarray) -> np.ndarray:
    """The month index of each day (vectorised)."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months + 1970 * 12


def first_days_of(months: np.ndarray) -> np.ndarray:
    """The first day (as a day number) of each month index (vectorised)."""
    return (months - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def iso_table(first: int, last: int) -> np.ndarray:
    """ISO strings of the days ``first..last``, for formatting by lookup instead of per-line ``isoformat``."""
    return np.datetime_as_string(np.arange(first, last + 1).astype("datetime64[D]"), unit="D").astype(object)

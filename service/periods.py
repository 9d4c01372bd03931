"""Day ranges: merging (overlapping or adjacent) and clipping, as DOMAIN "uninterrupted periods" requires.

A period is a pair of dates, both inclusive; ``None`` as an end means open-ended (resolved by the caller
before merging, since an open right ends at the requested end or at R in an answer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

Period = tuple[dt.date, dt.date]


def merge(periods: Iterable[Period]) -> list[Period]:
    """Sorted, with overlapping or adjacent periods (one ends the day before the other begins) merged."""
    merged: list[Period] = []
    for begin, end in sorted(periods):
        # compared by the days between (a difference of dates never overflows): an open end is ``date.max``,
        # and ``date.max + 1 day`` does not exist
        if merged and (begin - merged[-1][1]).days <= 1:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((begin, end))
    return merged


def clip(periods: Iterable[Period], windows: list[Period]) -> list[Period]:
    """The parts of ``periods`` inside ``windows`` (both sorted and merged), in order."""
    out: list[Period] = []
    for begin, end in periods:
        for w_begin, w_end in windows:
            b, e = max(begin, w_begin), min(end, w_end)
            if b <= e:
                out.append((b, e))
    return merge(out)


def overlaps(begin: dt.date, end: dt.date, windows: list[Period]) -> bool:
    return any(begin <= w_end and w_begin <= end for w_begin, w_end in windows)


def add_years(day: dt.date, years: int) -> dt.date | None:
    """``day`` ``years`` later (29 February -> 28 February), or None when that is after 9999-12-31."""
    if day.year + years > dt.MAXYEAR:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)

"""The monthly RIS scale (full month, EUR) per household category, and pro rata partial months.

Real values from 2024-05-01 (858.97 / 1288.46 / 1741.29) and 2025-02-01 (876.13 / 1314.20 / 1776.07).
Earlier and later steps are SYNTHETIC: derived by the health-index rule (steps of 2 %), one step a year
backwards from 2024-05 and forwards from 2026-02, as DOMAIN.md allows. Used by the simulator and by checks.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
_STEP = Decimal("1.02")

_REAL = {
    dt.date(2024, 5, 1): (Decimal("858.97"), Decimal("1288.46"), Decimal("1741.29")),
    dt.date(2025, 2, 1): (Decimal("876.13"), Decimal("1314.20"), Decimal("1776.07")),
}


def _build() -> list[tuple[dt.date, tuple[Decimal, Decimal, Decimal]]]:
    steps = dict(_REAL)
    amounts = _REAL[dt.date(2024, 5, 1)]
    for year in range(2023, 1999, -1):  # synthetic: one 2 % step a year back to 2000
        amounts = tuple((a / _STEP).quantize(_CENT, ROUND_HALF_UP) for a in amounts)
        steps[dt.date(year, 5, 1)] = amounts
    amounts = _REAL[dt.date(2025, 2, 1)]
    for year in range(2026, 2041):  # synthetic: one 2 % step a year forward
        amounts = tuple((a * _STEP).quantize(_CENT, ROUND_HALF_UP) for a in amounts)
        steps[dt.date(year, 2, 1)] = amounts
    return sorted(steps.items())


SCALE = _build()


def monthly_amount(month: dt.date, household_category: int) -> Decimal:
    """The full-month RIS amount for ``household_category`` (1, 2, 3) in force on ``month``."""
    if household_category not in (1, 2, 3):
        raise ValueError(f"household category {household_category!r} is not 1, 2 or 3")
    current = SCALE[0][1]
    for since, amounts in SCALE:
        if since > month:
            break
        current = amounts
    return current[household_category - 1]


def pro_rata(month_amount: Decimal, begin: dt.date, end: dt.date) -> Decimal:
    """The amount for the days ``begin``..``end`` (inclusive, inside one month), rounded to the cent."""
    if (begin.year, begin.month) != (end.year, end.month) or end < begin:
        raise ValueError(f"{begin}..{end} is not a period inside one calendar month")
    days_in_month = calendar.monthrange(begin.year, begin.month)[1]
    days = (end - begin).days + 1
    if days == days_in_month:
        return month_amount
    return (month_amount * days / days_in_month).quantize(_CENT, ROUND_HALF_UP)

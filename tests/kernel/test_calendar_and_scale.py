import datetime as dt
from decimal import Decimal

import pytest

from kernel.calendar import add_months, amounts_date, cutoff, first_saturday, month_age, parse_month, today_brussels
from kernel.scale import monthly_amount, pro_rata


def test_month_age_follows_the_domain_example():
    assert month_age(dt.date(2026, 3, 1), dt.date(2026, 7, 4)) == 3
    assert month_age(dt.date(2026, 3, 1), dt.date(2026, 6, 30)) == 2
    assert month_age(dt.date(2026, 3, 1), dt.date(2026, 4, 1)) == 0
    assert month_age(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == -1  # paid in advance


def test_cutoff_is_the_last_day_of_the_previous_month():
    assert cutoff(dt.date(2026, 7, 4)) == dt.date(2026, 6, 30)
    assert cutoff(dt.date(2024, 3, 2)) == dt.date(2024, 2, 29)
    assert cutoff(dt.date(2026, 1, 3)) == dt.date(2025, 12, 31)


def test_amounts_move_at_first_weekends_only():
    # R on a 1st that is not a first Saturday: A(R) is the previous month's first Saturday.
    assert amounts_date(dt.date(2026, 7, 1)) == dt.date(2026, 6, 6)
    assert cutoff(dt.date(2026, 7, 1)) == dt.date(2026, 5, 31)
    # R the day before the first Saturday, then on it, then the Sunday after.
    assert amounts_date(dt.date(2026, 7, 3)) == dt.date(2026, 6, 6)
    assert amounts_date(dt.date(2026, 7, 4)) == dt.date(2026, 7, 4)
    assert cutoff(dt.date(2026, 7, 4)) == dt.date(2026, 6, 30)
    assert amounts_date(dt.date(2026, 7, 5)) == dt.date(2026, 7, 4)
    assert cutoff(dt.date(2026, 7, 5)) == dt.date(2026, 6, 30)
    # A 1st that is a first Saturday; and across a year.
    assert amounts_date(dt.date(2026, 8, 1)) == dt.date(2026, 8, 1)
    assert amounts_date(dt.date(2027, 1, 1)) == dt.date(2026, 12, 5)
    assert cutoff(dt.date(2027, 1, 1)) == dt.date(2026, 11, 30)
    assert amounts_date(dt.date(2026, 7, 31)) == dt.date(2026, 7, 4)


def test_first_saturday_and_add_months():
    assert first_saturday(2026, 8) == dt.date(2026, 8, 1)
    assert first_saturday(2026, 12) == dt.date(2026, 12, 5)
    assert add_months(dt.date(2026, 11, 27), 2) == dt.date(2027, 1, 1)
    assert add_months(dt.date(2026, 1, 31), -1) == dt.date(2025, 12, 1)


def test_today_is_taken_in_brussels():
    late_utc = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert today_brussels(late_utc) == dt.date(2027, 1, 1)


def test_parse_month_names_the_expected_form():
    assert parse_month("2026-03") == dt.date(2026, 3, 1)
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("03/2026")


def test_real_scale_values():
    assert monthly_amount(dt.date(2024, 5, 1), 1) == Decimal("858.97")
    assert monthly_amount(dt.date(2025, 1, 1), 3) == Decimal("1741.29")
    assert monthly_amount(dt.date(2025, 2, 1), 2) == Decimal("1314.20")
    assert monthly_amount(dt.date(2025, 2, 1), 3) == Decimal("1776.07")


def test_synthetic_scale_steps_two_percent():
    before = monthly_amount(dt.date(2023, 5, 1), 2)
    assert before == (Decimal("1288.46") / Decimal("1.02")).quantize(Decimal("0.01"))
    assert monthly_amount(dt.date(2026, 2, 1), 2) > monthly_amount(dt.date(2026, 1, 1), 2)


def test_pro_rata_partial_month():
    full = Decimal("1314.20")
    assert pro_rata(full, dt.date(2025, 4, 1), dt.date(2025, 4, 30)) == full
    assert pro_rata(full, dt.date(2025, 4, 16), dt.date(2025, 4, 30)) == Decimal("657.10")
    with pytest.raises(ValueError, match="inside one calendar month"):
        pro_rata(full, dt.date(2025, 4, 16), dt.date(2025, 5, 2))

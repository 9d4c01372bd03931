"""Property: for random line sets (rejections, re-introductions, corrections, chains, partial months, several
CPAS, categories, partners, acceptance dates on both sides of the cutoff), the marts built by the real dbt
equal the independent oracle's rows, to the cent. Many generated people (disjoint SSINs) share one warehouse,
so each hypothesis example costs one dbt run."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.dbt import oracle
from tests.dbt.warehouse import create_warehouse, query, run_dbt

PCSAS = ("0212345678", "0207654321")
ALLOWANCES = ("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE", "FAMILY_ALLOWANCE_ADVANCE")
FIRST_MONTH = dt.date(2025, 9, 1)  # generated benefit months: 2025-09 .. 2026-09
# first Saturdays, and days between them (amounts then stay at the last first Saturday's, A(R))
REFERENCE_DATES = (
    dt.date(2026, 5, 2),
    dt.date(2026, 7, 1),
    dt.date(2026, 7, 4),
    dt.date(2026, 7, 5),
    dt.date(2026, 8, 1),
    dt.date(2026, 12, 31),
    dt.date(2027, 1, 2),
)


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@st.composite
def person_lines(draw: st.DrawFn) -> list[dict]:
    """The lines of one person (SSIN filled in later), replacements pointing to earlier lines of the person."""
    lines: list[dict] = []
    replaced: set[int] = set()
    for index in range(draw(st.integers(1, 7))):
        month = _add_months(FIRST_MONTH, draw(st.integers(0, 12)))
        last_day = calendar.monthrange(month.year, month.month)[1]
        begin = draw(st.sampled_from((1, 1, 1, 2, 10, 16, 28)))
        end = draw(st.sampled_from((last_day, last_day, 15, 20, begin)))
        begin, end = min(begin, end), max(begin, end)
        accepted_month = _add_months(month, draw(st.integers(-1, 8)))
        line = {
            "line_id": str(index),
            "replaces_line_id": None,
            "pcsa_cbe_number": draw(st.sampled_from(PCSAS)),
            "partner_ssin": draw(st.sampled_from((None, None, "P", "Q"))),
            "allowance_type": draw(st.sampled_from(ALLOWANCES)),
            "household_category": draw(st.integers(1, 3)),
            "begin_date": month.replace(day=begin),
            "end_date": month.replace(day=end),
            "amount": Decimal(draw(st.sampled_from((0, 1, 12345, 85897, 131420, 177607)))) / 100,
            "payment_date": month,
            "acceptance_date": accepted_month.replace(day=draw(st.sampled_from((1, 15, 28)))),
            "decision": draw(st.sampled_from(("ACCEPTED", "ACCEPTED", "ACCEPTED", "REJECTED"))),
        }
        candidates = [j for j in range(index) if j not in replaced]
        if candidates and draw(st.booleans()):
            target = draw(st.sampled_from(candidates))
            replaced.add(target)
            line["replaces_line_id"] = str(target)
            line["pcsa_cbe_number"] = lines[target]["pcsa_cbe_number"]  # same person and CPAS
        line["rejection_code"] = "R01" if line["decision"] == "REJECTED" else None
        lines.append(line)
    return lines


def _dataset(people: list[list[dict]]) -> list[dict]:
    """Give each person disjoint SSINs (beneficiary and partners) and globally unique line ids."""
    rows = []
    for number, lines in enumerate(people):
        ssin = f"9{number:05d}00001"
        for line in lines:
            row = dict(line, file_id="F-prop", line_no=0, ssin=ssin)
            row["line_id"] = f"{ssin}-{line['line_id']}"
            if line["replaces_line_id"] is not None:
                row["replaces_line_id"] = f"{ssin}-{line['replaces_line_id']}"
            if line["partner_ssin"] is not None:
                row["partner_ssin"] = f"9{number:05d}0000{2 if line['partner_ssin'] == 'P' else 3}"
            rows.append(row)
    return rows


def _marts(warehouse: Path) -> oracle.Amounts:
    def run_list(value: list[dict]) -> list[tuple[dt.date, dt.date]]:
        return [(p["begin_date"], p["end_date"]) for p in value]

    monthly = {
        r[:6]: (r[6], run_list(r[7]), *r[8:])
        for r in query(
            warehouse,
            "SELECT beneficiary_ssin, month, pcsa_cbe_number, allowance_type, household_category, partner_ssin, "
            "amount, grant_periods, covers_whole_period, finality_status, is_last_indemnified_month, line_count, "
            "has_overlapping_days FROM marts.fct_monthly_amounts",
        )
    }
    yearly = {
        r[:6]: (r[6], run_list(r[7]), *r[8:])
        for r in query(
            warehouse,
            "SELECT beneficiary_ssin, year, pcsa_cbe_number, allowance_type, household_category, partner_ssin, "
            "amount, grant_periods, covers_whole_period, finality_status, month_count "
            "FROM marts.fct_yearly_amounts",
        )
    }
    last = {
        (r[0], r[1]): r[2]
        for r in query(
            warehouse, "SELECT ssin, person_role, last_indemnified_month FROM marts.fct_last_indemnified_months"
        )
    }
    return oracle.Amounts(monthly, yearly, last)


@pytest.mark.parametrize("reference_date", REFERENCE_DATES, ids=str)
@settings(
    max_examples=2,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(people=st.lists(person_lines(), min_size=40, max_size=80))
def test_marts_agree_with_the_oracle(
    tmp_path_factory: pytest.TempPathFactory, people: list[list[dict]], reference_date: dt.date
) -> None:
    work = tmp_path_factory.mktemp("oracle")
    warehouse = work / "warehouse.duckdb"
    lines = _dataset(people)
    create_warehouse(warehouse, {"payment_lines": [dict(line) for line in lines]})
    run_dbt(
        warehouse,
        work,
        reference_date.isoformat(),
        "run",
        "+fct_monthly_amounts",
        "+fct_yearly_amounts",
        "+fct_last_indemnified_months",
    )
    assert_marts_agree(warehouse, lines, reference_date)


def assert_marts_agree(warehouse: Path, lines: list[dict], reference_date: dt.date) -> None:
    """The marts of ``warehouse`` hold what the oracle computes from ``lines`` at ``reference_date``."""
    expected = oracle.compute(lines, reference_date)
    actual = _marts(warehouse)
    assert actual.monthly == expected.monthly
    assert actual.yearly == expected.yearly
    assert actual.last_indemnified == expected.last_indemnified


def test_the_oracle_follows_the_binding_examples() -> None:
    """The oracle itself on DOMAIN.md's worked example and a chain: m = 2026-03 at R = 2026-07-04 has age 3."""
    assert oracle.age(dt.date(2026, 3, 1), dt.date(2026, 7, 4)) == 3
    assert oracle.age(dt.date(2026, 8, 1), dt.date(2026, 7, 4)) == -2
    assert oracle.amounts_date(dt.date(2026, 7, 1)) == dt.date(2026, 6, 6)
    assert oracle.amounts_date(dt.date(2026, 7, 5)) == dt.date(2026, 7, 4)
    base = {
        "ssin": "s",
        "pcsa_cbe_number": "p",
        "allowance_type": "LIVING_WAGE",
        "household_category": 2,
        "partner_ssin": None,
        "begin_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2026, 3, 31),
    }
    lines = [
        dict(
            base,
            line_id="a",
            replaces_line_id=None,
            amount=Decimal("10.00"),
            decision="ACCEPTED",
            acceptance_date=dt.date(2026, 4, 1),
        ),
        dict(
            base,
            line_id="b",
            replaces_line_id="a",
            amount=Decimal("0.00"),
            decision="REJECTED",
            acceptance_date=dt.date(2026, 5, 1),
        ),
    ]
    assert oracle.compute(lines, dt.date(2026, 5, 2)).monthly[("s", dt.date(2026, 3, 1), "p", "LIVING_WAGE", 2, None)][
        0
    ] == Decimal("10.00")
    assert oracle.compute(lines, dt.date(2026, 7, 4)).monthly == {}

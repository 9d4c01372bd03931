"""The real `dbt build` (models, unit tests, data tests) on a tiny hand-made warehouse: the marts hold what
DOMAIN.md's binding definitions say, and they match the published contract column for column."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.dbt.warehouse import create_warehouse, payment_line, published_copy_errors, query, right_event, run_dbt

R = "2026-07-04"  # cutoff 2026-06-30; 2026-03 has age 3
A, B = "0212345678", "0207654321"
S1, S2, S3, S4, S5, P1 = (f"8501010{n:04d}" for n in (1001, 1002, 1003, 1004, 1005, 1099))


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _lines() -> list[dict]:
    line = payment_line
    return [
        # S1: a chain of three corrections in March (FINAL at age 3: no open rejection)
        line("L1", S1, "2026-03", amount="1314.20", accepted_on="2026-04-10", partner=P1),
        line("L2", S1, "2026-03", amount="1300.00", accepted_on="2026-05-10", partner=P1, replaces="L1"),
        line("L3", S1, "2026-03", amount="1290.00", accepted_on="2026-06-10", partner=P1, replaces="L2"),
        # S1: April, an open rejection (category 2) and an accepted category-1 line: one row, PROVISIONAL
        line("L4", S1, "2026-04", accepted_on="2026-05-05", decision="REJECTED"),
        line("L5", S1, "2026-04", amount="100.00", end_day=10, category=1, accepted_on="2026-05-05"),
        # S1: May accepted after the cutoff: invisible
        line("L6", S1, "2026-05", accepted_on="2026-07-01"),
        # S1: February at another CPAS, whole month
        line("L7", S1, "2026-02", amount="500.00", pcsa=B, accepted_on="2026-03-10"),
        # S2: an accepted 0.00 line (row, not indemnified), December indemnified, February only rejected
        line("L8", S2, "2026-01", amount="0.00", accepted_on="2026-02-10"),
        line("L9", S2, "2025-12", amount="800.00", accepted_on="2026-01-10"),
        line("L10", S2, "2026-02", accepted_on="2026-03-10", decision="REJECTED"),
        # S3: overlapping lines, summed and flagged
        line("L11", S3, "2026-03", amount="500.00", end_day=20, accepted_on="2026-04-10"),
        line("L12", S3, "2026-03", amount="500.00", begin_day=10, accepted_on="2026-04-10"),
        # S4: a rejected correction ends the accepted line it replaces
        line("L13", S4, "2026-03", amount="700.00", accepted_on="2026-04-10"),
        line("L14", S4, "2026-03", amount="700.00", accepted_on="2026-05-01", replaces="L13", decision="REJECTED"),
        # S5: a late revision of November 2025 (accepted on the first day of m+7)
        line("L15", S5, "2025-11", amount="1000.00", accepted_on="2025-12-10"),
        line("L16", S5, "2025-11", amount="900.00", accepted_on="2026-06-01", replaces="L15"),
    ]


def _event(event_id: str, right_id: str, sequence: int, event_type: str, registered: str, **kw) -> dict:
    kw.setdefault("ssin", S1)
    return right_event(event_id, right_id, sequence, event_type, registered, pcsa_cbe_number=A, **kw)


def _events() -> list[dict]:
    return [
        _event("E1", "R1", 1, "CREATE", "2025-12-20"),
        _event("E2", "R1", 2, "MODIFY", "2026-02-20", household_category=3, end_date=_d("2026-03-31")),
        _event("E3", "R2", 1, "CREATE", "2025-12-20", ssin=S2),
        _event("E4", "R2", 2, "CANCEL", "2026-03-01", ssin=S2),
        _event("E5", "R2", 3, "MODIFY", "2026-04-01", ssin=S2),
        _event("E6", "R3", 1, "CREATE", "2026-07-05", ssin=S3),  # registered after R: invisible
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("dbt_build")
    warehouse = work / "warehouse.duckdb"
    pcsa = [
        {"cbe_number": A, "nis_code": "21004", "name_fr": "CPAS A", "name_nl": "OCMW A", "region": "BRUSSELS"},
        {"cbe_number": B, "nis_code": "11002", "name_fr": "CPAS B", "name_nl": "OCMW B", "region": "FLANDERS"},
    ]
    create_warehouse(warehouse, {"payment_lines": _lines(), "right_events": _events(), "ref_pcsa": pcsa})
    run_dbt(warehouse, work, R)
    return warehouse


def _monthly(warehouse: Path, ssin: str) -> dict[tuple, tuple]:
    rows = query(
        warehouse,
        "SELECT month, pcsa_cbe_number, household_category, partner_ssin, amount, grant_periods, "
        "covers_whole_period, finality_status, is_last_indemnified_month, line_count, has_overlapping_days "
        f"FROM marts.fct_monthly_amounts WHERE beneficiary_ssin = '{ssin}'",
    )
    return {(str(r[0])[:7], r[1], r[2]): r[3:] for r in rows}


def test_marts_match_the_published_contract(built: Path) -> None:
    assert published_copy_errors(built) == []


def test_chain_of_three_corrections_keeps_the_last(built: Path) -> None:
    rows = _monthly(built, S1)
    partner, amount, periods, covers, status, is_last, count, overlap = rows[("2026-03", A, 2)]
    assert (partner, amount, covers, status, count, overlap) == (P1, Decimal("1290.00"), True, "FINAL", 1, False)
    assert periods == [{"begin_date": _d("2026-03-01"), "end_date": _d("2026-03-31")}]
    assert is_last is False


def test_open_rejection_makes_no_row_and_line_after_cutoff_is_invisible(built: Path) -> None:
    rows = _monthly(built, S1)
    assert set(rows) == {("2026-03", A, 2), ("2026-04", A, 1), ("2026-02", B, 2)}
    _, amount, periods, covers, status, is_last, *_ = rows[("2026-04", A, 1)]
    assert (amount, covers, status, is_last) == (Decimal("100.00"), False, "PROVISIONAL", True)
    assert periods == [{"begin_date": _d("2026-04-01"), "end_date": _d("2026-04-10")}]
    assert rows[("2026-02", B, 2)][3] is True  # February covered 1-28


def test_zero_line_is_a_row_not_an_indemnified_month(built: Path) -> None:
    rows = _monthly(built, S2)
    assert rows[("2026-01", A, 2)][1] == Decimal("0.00")
    assert rows[("2026-01", A, 2)][5] is False
    assert rows[("2025-12", A, 2)][5] is True
    last = query(
        built, f"SELECT person_role, last_indemnified_month FROM marts.fct_last_indemnified_months WHERE ssin = '{S2}'"
    )
    assert last == [("BENEFICIARY", _d("2025-12-01"))]


def test_rejection_only_month_makes_the_year_consolidating(built: Path) -> None:
    yearly = query(
        built,
        "SELECT year, amount, finality_status, month_count FROM marts.fct_yearly_amounts "
        f"WHERE beneficiary_ssin = '{S2}' ORDER BY year",
    )
    assert yearly == [(2025, Decimal("800.00"), "FINAL", 1), (2026, Decimal("0.00"), "CONSOLIDATING", 1)]


def test_overlapping_days_are_summed_and_flagged(built: Path) -> None:
    _, amount, periods, covers, _, _, count, overlap = _monthly(built, S3)[("2026-03", A, 2)]
    assert (amount, covers, count, overlap) == (Decimal("1000.00"), True, 2, True)
    assert len(periods) == 1


def test_rejected_correction_ends_the_line_and_stays_open(built: Path) -> None:
    assert _monthly(built, S4) == {}
    open_rejections = query(
        built, "SELECT line_id, age_months, is_abandoned FROM marts.dq_open_rejections ORDER BY line_id"
    )
    assert open_rejections == [("L10", 4, False), ("L14", 3, False), ("L4", 2, False)]


def test_late_revision_applied_and_recorded(built: Path) -> None:
    assert _monthly(built, S5)[("2025-11", A, 2)][1] == Decimal("900.00")
    late = query(built, "SELECT line_id, months_late FROM marts.dq_late_revisions")
    assert late == [("L16", 6)]


def test_partner_view_and_last_month_as_partner(built: Path) -> None:
    rows = query(
        built,
        "SELECT partner_ssin, month, beneficiary_ssin, amount, is_last_indemnified_month "
        "FROM marts.fct_monthly_amounts_by_partner",
    )
    assert rows == [(P1, _d("2026-03-01"), S1, Decimal("1290.00"), True)]


def test_rights_folded_as_of_r(built: Path) -> None:
    rights = query(
        built,
        "SELECT right_id, household_category, end_date, status, event_count FROM marts.fct_rights ORDER BY right_id",
    )
    assert rights == [("R1", 3, _d("2026-03-31"), "ACTIVE", 2), ("R2", 2, None, "CANCELLED", 2)]
    # what LivingWages V3 answers with: the current state's decision (R1's MODIFY), not the CREATE's, and the
    # event that made that state
    states = query(
        built,
        "SELECT right_id, decision_date, state_decision_date, last_event_type, last_sequence, last_registration_date "
        "FROM marts.fct_rights ORDER BY right_id",
    )
    assert states == [
        ("R1", _d("2025-12-17"), _d("2026-02-17"), "MODIFY", 2, _d("2026-02-20")),
        ("R2", _d("2025-12-17"), _d("2025-12-17"), "CANCEL", 2, _d("2026-03-01")),
    ]
    events = query(
        built, "SELECT event_id, is_after_cancel, registration_delay_days FROM marts.fct_right_events ORDER BY event_id"
    )
    assert [e[0] for e in events] == ["E1", "E2", "E3", "E4", "E5"]
    assert [e[1] for e in events] == [False, False, False, False, True]
    assert {e[2] for e in events} == {3}


def test_agg_monthly_pcsa_totals_the_rows(built: Path) -> None:
    agg = query(built, "SELECT sum(amount), sum(rows), sum(rejected_lines) FROM marts.agg_monthly_pcsa")
    rows = query(built, "SELECT sum(amount), count(*) FROM marts.fct_monthly_amounts")
    assert agg == [(rows[0][0], rows[0][1], 3)]


def test_amount_history_moves_forward_only(built: Path, tmp_path: Path) -> None:
    """A rerun for the same R replaces its rows; a past R writes nothing; a later R adds its own rows."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built, warehouse)
    count = "SELECT reference_date, count(*), sum(amount) FROM marts.fct_amount_history GROUP BY 1 ORDER BY 1"
    first = query(warehouse, count)
    assert [r[0] for r in first] == [_d(R)]
    # its parents are already built for R: only the history model runs again, after a change of the monthly
    # totals, which the rerun for the same R must take (replacing, not adding to, the rows of R)
    connection = duckdb.connect(str(warehouse))
    connection.execute(
        "UPDATE marts.agg_monthly_pcsa SET amount = amount + 1"
        " WHERE rowid = (SELECT min(rowid) FROM marts.agg_monthly_pcsa WHERE rows > 0)"
    )
    connection.close()
    run_dbt(warehouse, tmp_path, R, "run", "fct_amount_history")
    original_total = first[0][2]
    first = [(first[0][0], first[0][1], original_total + 1)]
    assert query(warehouse, count) == first
    run_dbt(warehouse, tmp_path, "2026-06-06", "run", "fct_amount_history")
    assert query(warehouse, count) == first
    run_dbt(warehouse, tmp_path, "2026-08-01", "run", "+fct_amount_history")
    later = query(warehouse, count)
    assert [r[0] for r in later] == [_d(R), _d("2026-08-01")]
    assert later[0] == first[0]
    # at 2026-08-01 the line accepted on 2026-07-01 (S1, May 2026) is included
    assert later[1][2] == original_total + Decimal("1314.20")

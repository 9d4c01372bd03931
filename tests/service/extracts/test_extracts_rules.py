"""The extracts' rules on small published snapshots made for each case: statuses day-exact, merged and clipped
(a property against a day-by-day reading), the changes section and its basis, the authorisation the finances
extract needs (refused with MSG00013, audited), one-line errors from the command line."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.audit_log import read_audit_file
from kernel.calendar import month_end
from kernel.errors import LwwError
from kernel.settings import settings as make_settings
from lww import cli
from service.extracts import delivery
from tests.dbt.oracle import periods
from tests.service.extracts import files
from tests.service.extracts.snapshots_for_tests import (
    EXTRACT_GRANT,
    OTHER,
    P1,
    P2,
    SPF_FINANCES,
    TODAY,
    A,
    B,
    C,
    D,
    E,
    publish,
    right,
)

FEB = dt.date(2026, 2, 1)


def _home(path: Path, tables: dict) -> object:
    home = make_settings(path).ensure()
    publish(home.home, tables)
    return home


def test_periods_are_merged_when_they_overlap_or_touch_and_clipped_to_the_month(tmp_path):
    home = _home(
        tmp_path,
        {
            "rights": [
                right("a1", A, "2025-11-01", "2026-02-10"),  # begins before the month: clipped to 02-01
                right("a2", A, "2026-02-11", None),  # touches a1, open-ended: one period to 02-28
                right("b1", B, "2026-02-03", "2026-02-09"),
                right("b2", B, "2026-02-05", "2026-02-12"),  # overlaps b1
                right("b3", B, "2026-02-14", "2026-02-20"),  # a day apart: a second period
                right("c1", C, "2026-02-01", "2026-02-28", status="CANCELLED"),  # no status
                right("d1", D, "2026-01-01", "2026-01-31"),  # before the month
                right("e1", E, "2026-02-01", "2026-02-15", household_category=1),
                right("e2", E, "2026-02-16", "2026-03-31", household_category=3),  # another category: apart
                right("e3", E, "2026-02-10", None, category="EQUIVALENT_LIVING_WAGE", pcsa_cbe_number=P2),
            ]
        },
    )
    released, comparison = delivery.produce(home, "ssh", "2026-02")
    assert files.statuses(released.path) == [
        (A, "LIVING_WAGE", "2026-02-01", "2026-02-28", P1, 2),
        (B, "LIVING_WAGE", "2026-02-03", "2026-02-12", P1, 2),
        (B, "LIVING_WAGE", "2026-02-14", "2026-02-20", P1, 2),
        (E, "EQUIVALENT_LIVING_WAGE", "2026-02-10", "2026-02-28", P2, 2),
        (E, "LIVING_WAGE", "2026-02-01", "2026-02-15", P1, 1),
        (E, "LIVING_WAGE", "2026-02-16", "2026-02-28", P1, 3),
    ]
    assert files.control(released.path) == (6, 3, {})
    assert comparison.passed


_day = st.integers(-45, 75)  # days from 2026-02-01: rights before, across and after the month


@st.composite
def rights(draw: st.DrawFn) -> list[dict]:
    rows = []
    for number in range(draw(st.integers(0, 12))):
        begin = FEB + dt.timedelta(days=draw(_day))
        length = draw(st.one_of(st.none(), st.integers(0, 40)))
        rows.append(
            right(
                f"r{number}",
                draw(st.sampled_from((A, B, C))),
                begin.isoformat(),
                None if length is None else (begin + dt.timedelta(days=length)).isoformat(),
                category=draw(st.sampled_from(("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE"))),
                pcsa_cbe_number=draw(st.sampled_from((P1, P2))),
                household_category=draw(st.integers(1, 2)),
                status=draw(st.sampled_from(("ACTIVE", "ACTIVE", "ACTIVE", "CANCELLED"))),
            )
        )
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rights())
def test_property_statuses_equal_the_days_each_grouping_holds(rows):
    """Whatever the rights, a status record is a maximal run of days of February held by one (person, status,
    CPAS, household category), read here day by day."""
    days = defaultdict(set)
    for row in rows:
        if row["status"] != "ACTIVE":
            continue
        day, last = max(row["begin_date"], FEB), min(row["end_date"] or month_end(FEB), month_end(FEB))
        while day <= last:
            key = (row["ssin"], row["category"], row["pcsa_cbe_number"], row["household_category"])
            days[key].add(day)
            day += dt.timedelta(days=1)
    expected = sorted(
        (key[0], key[1], b.isoformat(), e.isoformat(), key[2], key[3])
        for key, held in days.items()
        for b, e in periods(held)
    )
    with tempfile.TemporaryDirectory() as folder:
        home = _home(Path(folder), {"rights": rows})
        staged = delivery.stage(home, "ssh", "2026-02")
        got = files.statuses(staged.path)
        assert sorted(got, key=lambda r: (r[0], r[1], r[2], r[4], r[5])) == got  # the file's order
        assert sorted(got) == expected
        assert delivery.verify(home, staged).passed  # the day-by-day control agrees too


RANK = {"PROVISIONAL": 1, "CONSOLIDATING": 2, "FINAL": 3}


@st.composite
def monthly_rows(draw: st.DrawFn) -> list[dict]:
    """Monthly rows of 2025 (and a few of 2024, which the extract of 2025 must leave out) for three people."""
    rows, keys = [], set()
    for _ in range(draw(st.integers(1, 25))):
        key = (
            draw(st.sampled_from((A, B, C))),
            dt.date(draw(st.sampled_from((2024, 2025, 2025, 2025))), draw(st.integers(1, 12)), 1),
            draw(st.sampled_from((P1, P2))),
            draw(st.sampled_from(("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE", "FAMILY_ALLOWANCE_ADVANCE"))),
            draw(st.integers(1, 3)),
        )
        if key in keys:
            continue
        keys.add(key)
        amount = draw(st.sampled_from(("0.00", "12.34", "876.13", "1314.20")))
        status = draw(st.sampled_from(tuple(RANK)))
        rows.append(dict(zip(("beneficiary_ssin", "month", "pcsa_cbe_number", "allowance_type", "household_category"),
                             key, strict=True), amount=amount, finality_status=status))  # fmt: skip
    return rows


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=monthly_rows())
def test_property_a_finances_record_sums_its_rows_counts_the_months_paid_and_takes_the_least_status(rows):
    yearly: dict[tuple, dict] = {}
    for row in rows:
        key = (row["beneficiary_ssin"], row["month"].year, row["pcsa_cbe_number"], row["allowance_type"],
               row["household_category"])  # fmt: skip
        into = yearly.setdefault(key, {"amount": Decimal("0.00"), "finality_status": "FINAL"})
        into["amount"] += Decimal(row["amount"])
        into["finality_status"] = min(into["finality_status"], row["finality_status"], key=RANK.get)
    yearly_rows = [
        {"beneficiary_ssin": k[0], "year": k[1], "pcsa_cbe_number": k[2], "allowance_type": k[3],
         "household_category": k[4], "amount": str(v["amount"]), "finality_status": v["finality_status"]}
        for k, v in yearly.items()
    ]  # fmt: skip
    expected: dict[tuple, list] = {}
    paid: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row["month"].year != 2025:
            continue
        person = (row["beneficiary_ssin"], row["allowance_type"])
        record = expected.setdefault(person, [Decimal("0.00"), set(), "FINAL"])
        record[0] += Decimal(row["amount"])
        record[1].add(row["pcsa_cbe_number"])
        record[2] = min(record[2], row["finality_status"], key=RANK.get)
        paid[(*person, row["month"])] += Decimal(row["amount"])
    months = defaultdict(int)
    for (ssin, allowance, _), total in paid.items():
        months[(ssin, allowance)] += total > 0
    with tempfile.TemporaryDirectory() as folder:
        tables = {"monthly_amounts": rows, "yearly_amounts": yearly_rows, "authorizations": [EXTRACT_GRANT]}
        home = _home(Path(folder), tables)
        staged = delivery.stage(home, "finances", "2025", provisional=True, today=TODAY)
        assert delivery.verify(home, staged).passed
        assert files.finances_records(staged.path) == {
            person: (f"{r[0]:.2f}", months[person], 12 - months[person], tuple(sorted(r[1])), r[2])
            for person, r in expected.items()
        }


def test_changes_against_the_previous_month_computed_then_against_the_file_released_for_it(tmp_path):
    january = [
        right("a1", A, "2025-06-01", None),  # held in both months alike: no change
        right("c1", C, "2025-12-01", "2026-01-20"),  # ended in January: ENDED in February
        right("d1", D, "2026-01-01", "2026-01-31"),
        right("d2", D, "2026-02-01", None, pcsa_cbe_number=P2),  # moved to another CPAS: CHANGED
    ]
    home = _home(tmp_path, {"rights": [*january, right("b1", B, "2026-02-05", None)]})  # B is NEW
    released, _ = delivery.produce(home, "ssh", "2026-02")
    attributes, found = files.changes(released.path)
    assert attributes == {"previousMonth": "2026-01", "basis": "SNAPSHOT"}
    assert found == [("NEW", B, "LIVING_WAGE"), ("ENDED", C, "LIVING_WAGE"), ("CHANGED", D, "LIVING_WAGE")]
    assert released.entry["changes"] == {"NEW": 1, "CHANGED": 1, "ENDED": 1}

    # January's file is released; then a right of E for January and February is registered late
    january_file, _ = delivery.produce(home, "ssh", "2026-01")
    publish(home.home, {"rights": [*january, right("b1", B, "2026-02-05", None), right("e1", E, "2026-01-10", None)]})
    released, _ = delivery.produce(home, "ssh", "2026-02")
    attributes, found = files.changes(released.path)
    # against what the buffer database received for January (E was not in it), E is new
    assert attributes == {
        "previousMonth": "2026-01",
        "basis": "PREVIOUS_EXTRACT",
        "previousFile": january_file.path.name,
    }
    assert found == [
        ("NEW", B, "LIVING_WAGE"),
        ("ENDED", C, "LIVING_WAGE"),
        ("CHANGED", D, "LIVING_WAGE"),
        ("NEW", E, "LIVING_WAGE"),
    ]


def _finances_tables(**overrides) -> dict:
    month = {"month": dt.date(2025, 3, 1), "pcsa_cbe_number": P1, "allowance_type": "LIVING_WAGE"}
    tables = {
        "monthly_amounts": [
            {**month, "beneficiary_ssin": A, "household_category": 2, "amount": "1314.20", "finality_status": "FINAL"}
        ],
        "yearly_amounts": [
            {
                "beneficiary_ssin": A,
                "year": 2025,
                "pcsa_cbe_number": P1,
                "allowance_type": "LIVING_WAGE",
                "household_category": 2,
                "amount": "1314.20",
                "finality_status": "FINAL",
            }
        ],
        "authorizations": [EXTRACT_GRANT],
    }
    return {**tables, **overrides}


@pytest.mark.parametrize(
    "grants",
    [
        [],
        [{**EXTRACT_GRANT, "valid_to": TODAY - dt.timedelta(days=1)}],  # expired
        [{**EXTRACT_GRANT, "valid_from": TODAY + dt.timedelta(days=1)}],  # not yet valid
        [{**EXTRACT_GRANT, "cbe_number": OTHER}],  # another institution's
        [{**EXTRACT_GRANT, "operation": "LivingWagesWithAmount:*"}],  # the consultations, not the extract
    ],
    ids=["none", "expired", "not-yet", "other-institution", "service-wildcard"],
)
def test_the_finances_extract_is_refused_with_msg00013_without_the_authorisation(tmp_path, grants, capsys):
    home = _home(tmp_path, _finances_tables(authorizations=grants))
    with pytest.raises(LwwError, match=r"^MSG00013: SPF Finances \(\d{10}\) holds no authorisation"):
        delivery.produce(home, "finances", "2025", today=TODAY)
    assert not (home.extracts / "out").exists()
    records = [r for p in sorted(home.audit.glob("audit-*.jsonl")) for r in read_audit_file(p).to_pylist()]
    assert [(r["channel"], r["cbe_number"], r["status_value"], r["status_code"]) for r in records] == [
        ("EXTRACT", SPF_FINANCES, "NO_RESULT", "MSG00013")
    ]
    # from the command line: one line, exit 2 (the real today is also after the grants' dates here)
    if grants and grants[0]["valid_from"] > TODAY:
        return
    assert cli.main(["--home", str(home.home), "extract", "finances", "--year", "2025"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("lww extract: MSG00013: ")


def test_the_authorisation_is_checked_before_the_period(tmp_path):
    """As a consultation checks the authorisation before its criteria: no grant, then MSG00013, whatever the year."""
    home = _home(tmp_path, _finances_tables(authorizations=[]))
    for year, provisional in (("2026", False), ("2031", True)):  # not final; not published at all
        with pytest.raises(LwwError, match=r"^MSG00013: "):
            delivery.produce(home, "finances", year, provisional=provisional, today=TODAY)
    home = _home(tmp_path / "granted", _finances_tables())
    with pytest.raises(LwwError, match="tax year 2026 is not final"):
        delivery.produce(home, "finances", "2026", today=TODAY)


def test_with_the_authorisation_the_finances_extract_names_its_legal_context(tmp_path):
    home = _home(tmp_path, _finances_tables())
    released, _ = delivery.produce(home, "finances", "2025", today=TODAY)
    assert files.finances_records(released.path) == {(A, "LIVING_WAGE"): ("1314.20", 1, 11, (P1,), "FINAL")}
    root = files.parse_valid(released.path)
    assert root.findtext("e:header/e:legalContext", namespaces=files.NS) == "TAX_CONTROL"
    assert root.findtext("e:header/e:recipient/e:cbeNumber", namespaces=files.NS) == SPF_FINANCES


def test_marts_that_disagree_stop_the_release(tmp_path):
    """A yearly mart that no longer sums its months (a broken build) cannot agree with the control."""
    tables = _finances_tables()
    tables["yearly_amounts"][0]["amount"] = "1300.00"
    home = _home(tmp_path, tables)
    staged = delivery.stage(home, "finances", "2025", today=TODAY)
    comparison = delivery.verify(home, staged)
    assert not comparison.passed
    assert "control block totalAmount LIVING_WAGE 1300.00 != marts 1314.20" in comparison.mismatches
    with pytest.raises(LwwError, match="not released"):
        delivery.release(home, staged)


def test_a_second_run_for_the_same_extract_is_refused_while_one_holds_it(tmp_path):
    home = _home(tmp_path, _finances_tables())
    lock = home.extracts / "staging" / "finances-2025.lock"
    lock.parent.mkdir(parents=True)
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another run (its own open file) holds it
        with pytest.raises(LwwError, match=r"another run is writing or releasing the finances extract of 2025"):
            delivery.produce(home, "finances", "2025", today=TODAY)
        delivery.produce(home, "ssh", "2026-02")  # another extract is not held up
    released, _ = delivery.produce(home, "finances", "2025", today=TODAY)
    assert released.path.exists()


def test_a_staged_file_that_breaks_the_xsd_is_not_released(tmp_path):
    home = _home(tmp_path, _finances_tables())
    staged = delivery.stage(home, "finances", "2025", today=TODAY)
    text = staged.path.read_text(encoding="utf-8")
    staged.path.write_text(
        text.replace("<allowanceType>LIVING_WAGE<", "<allowanceType>LIVING_WAGES<"), encoding="utf-8"
    )
    comparison = delivery.verify(home, staged)
    assert not comparison.passed
    assert comparison.mismatches[0].startswith(f"the file breaks the XSD: {staged.path.name}, line 5: ")
    assert "allowanceType" in comparison.mismatches[0]
    with pytest.raises(LwwError, match="the file breaks the XSD"):
        delivery.release(home, staged)
    assert not (home.extracts / "out").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["extract"], "lww extract: name the extract: finances --year YYYY"),
        (["extract", "taxes"], "lww extract: no extract 'taxes': the extracts are finances and ssh"),
        (["extract", "finances"], "lww extract: the finances extract needs --year YYYY"),
        (["extract", "finances", "--year", "25"], "lww extract: --year: '25' is not a tax year: expected YYYY"),
        (["extract", "finances", "--year", "2025", "--month", "2025-01"], "lww extract: --month does not go with"),
        (["extract", "ssh", "--month", "2026-13"], "lww extract: --month: '2026-13' is not a month: expected YYYY-MM"),
        (
            ["extract", "ssh", "--month", "2026-02", "--provisional"],
            "lww extract: --provisional goes with the finances",
        ),
        (["extract", "ssh", "--month", "2026-08"], "lww extract: month 2026-08 begins after R=2026-07-04"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(tmp_path, capsys, argv, message):
    home = _home(tmp_path, {})
    assert cli.main(["--home", str(home.home), *argv]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(message), error
    assert not (home.extracts / "out").exists()


def test_without_a_published_snapshot_the_command_says_so(tmp_path, capsys):
    assert cli.main(["--home", str(tmp_path), "extract", "ssh", "--month", "2026-02"]) == 2
    assert (
        capsys.readouterr().err
        == f"lww extract: nothing is published in {tmp_path.resolve()}/published yet: run lww refresh first\n"
    )


def test_the_manifest_keeps_what_was_produced_for_whom_and_its_control_figures(tmp_path):
    home = _home(tmp_path, {**_finances_tables(), "rights": [right("a1", A, "2026-01-15", None)]})
    delivery.produce(home, "finances", "2025", today=TODAY)
    delivery.produce(home, "ssh", "2026-02")
    entries = [json.loads(line) for line in (home.extracts / "manifest.jsonl").read_text().splitlines()]
    assert [(e["kind"], e["period"], e["recipient_cbe"]) for e in entries] == [
        ("finances", "2025", SPF_FINANCES),
        ("ssh", "2026-02", "0367302178"),
    ]
    assert entries[0]["control"] == {
        "recordCount": 1,
        "distinctSsinCount": 1,
        "totalAmount": {"LIVING_WAGE": "1314.20"},
    }
    assert entries[1]["control"] == {"recordCount": 1, "distinctSsinCount": 1, "totalAmount": {}}
    assert delivery.released_entries(home) == entries

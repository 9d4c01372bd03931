"""The questions the business code asks the indexes, against a plain reading of the same rows."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.calendar import month_start
from kernel.index.layout import INDEXES, IntegrationColumns
from service.index import AMOUNT, AmountColumns, AmountsIndex, IntegrationsIndex

PEOPLE = ["85010112345", "90020254321", "01030312399"]
CBES = ["0200000196", "0200000295", "0200000394"]
days = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2027, 12, 31))


def _amounts_table(rows: list[tuple[str, object, int, bool]], period_type: pa.DataType) -> pa.Table:
    rows = sorted(rows, key=lambda row: (row[0], row[1]))  # the index's query orders by person, then period
    grants = pa.struct([("begin_date", pa.date32()), ("end_date", pa.date32())])
    return pa.table(
        {
            "person": pa.array([row[0] for row in rows], pa.string()),
            "period": pa.array([row[1] for row in rows], period_type),
            "pcsa_cbe_number": pa.array([CBES[row[2] % 3] for row in rows], pa.string()),
            "allowance_type": pa.array(["LIVING_WAGE"] * len(rows), pa.string()),
            "household_category": pa.array([row[2] % 3 + 1 for row in rows], pa.int32()),
            "other": pa.array([None] * len(rows), pa.string()),
            "grant_periods": pa.array([[]] * len(rows), pa.list_(grants)),
            "amount_cents": pa.array([row[2] for row in rows], pa.int64()),
            "covers_whole_period": pa.array([True] * len(rows), pa.bool_()),
            "finality_status": pa.array(["FINAL"] * len(rows), pa.string()),
            "is_last": pa.array([row[3] for row in rows], pa.bool_()),
        }
    )


def test_the_layout_is_the_query_columns():
    """One declaration: the amounts queries select exactly the layout's columns, in its order."""
    for key, layout in INDEXES.items():
        if isinstance(key, tuple):
            listed = layout.sql.split(" FROM ")[0]
            names = [part.strip().split(" AS ")[-1] for part in listed.removeprefix("SELECT ").split(", ")]
            assert names == ["person", *AmountColumns._fields]
    assert AMOUNT.period == 0 and AMOUNT.is_last == len(AmountColumns._fields) - 1


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(PEOPLE), days.map(month_start), st.integers(0, 10**6), st.booleans()), max_size=40
    ),
    person=st.sampled_from([*PEOPLE, "00000000000"]),
    span=st.tuples(days, days).map(sorted),
)
def test_rows_between_are_the_months_a_period_overlaps(rows, person, span):
    begin, end = span
    index = AmountsIndex.from_table(_amounts_table(rows, pa.date32()))
    found = index.rows_between(person, begin, end)
    got = index.decoded(*found) if found else []
    expected = sorted(
        (row for row in rows if row[0] == person and month_start(begin) <= row[1] <= month_start(end)),
        key=lambda row: row[1],
    )
    assert [(r.period, r.amount_cents.scaleb(2)) for r in got] == [(row[1], row[2]) for row in expected]
    if got:  # the last month's flag: any row of that month flagged
        last = expected[-1][1]
        assert index.last_month_flagged(*found) == any(row[3] for row in expected if row[1] == last)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(PEOPLE), st.integers(2015, 2027), st.integers(0, 10**6)), max_size=30),
    person=st.sampled_from(PEOPLE),
    span=st.tuples(days, days).map(sorted),
)
def test_yearly_rows_between_are_the_years_a_period_overlaps(rows, person, span):
    begin, end = span
    index = AmountsIndex.from_table(_amounts_table([(*row, False) for row in rows], pa.int32()))
    found = index.rows_between(person, begin, end)
    got = [row.period for row in index.decoded(*found)] if found else []
    assert got == sorted(row[1] for row in rows if row[0] == person and begin.year <= row[1] <= end.year)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(PEOPLE), st.sampled_from(CBES), days, st.none() | days),
        max_size=30,
    ),
    ssin=st.sampled_from([*PEOPLE, "00000000000"]),
    cbe=st.sampled_from([*CBES, "0999999999"]),
)
def test_integration_windows_are_the_institutions_rows_open_ends_at_the_end_of_time(rows, ssin, cbe):
    rows = sorted(rows, key=lambda row: (row[0], row[1]))
    table = pa.table(
        {
            "person": pa.array([row[0] for row in rows], pa.string()),
            **{
                name: pa.array([row[i + 1] for row in rows], pa.string() if i == 0 else pa.date32())
                for i, name in enumerate(IntegrationColumns._fields)
            },
        }
    )
    index = IntegrationsIndex.from_table(table)
    expected = [(b, e or dt.date.max) for who, c, b, e in rows if who == ssin and c == cbe]
    assert sorted(index.integration_windows(ssin, cbe)) == sorted(expected)
    assert index.knows(ssin) == any(row[0] == ssin for row in rows)

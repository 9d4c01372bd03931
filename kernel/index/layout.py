"""The indexes a snapshot gets, declared once: each one's columns (a ``NamedTuple``), the SQL that fills them, and
the questions the business code asks of it.

The ``NamedTuple`` of an index is the one place its columns are listed: the SQL is written from its fields, a
column's position is asked by name (``AMOUNT.finality_status``), and a renderer reads a span's stored columns by
name (``AmountColumns._make(index.stored(...))``). Adding a column is one field here and one SQL expression.
Business code asks questions in dates and strings (:meth:`AmountsIndex.rows_between`,
:meth:`IntegrationsIndex.integration_windows`) and never sees day numbers or dictionary codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from kernel.calendar import month_start
from kernel.index.person import PersonIndex


class AmountColumns(NamedTuple):
    """The columns of an amounts index after the person, in stored order (these names are the index files')."""

    period: Any  # the month (a date, grouping MONTH) or the year (an int, grouping YEAR)
    pcsa_cbe_number: Any
    allowance_type: Any
    household_category: Any
    other: Any  # the other person of the row: the partner when asked as BENEFICIARY, the beneficiary as PARTNER
    grant_periods: Any
    amount_cents: Any
    covers_whole_period: Any
    finality_status: Any
    is_last: Any  # the person's last indemnified month (in this role); false in the yearly indexes


class RightsColumns(NamedTuple):
    """An active right's current state. V2 reads the first four columns only (:meth:`RightsIndex.periods`);
    LivingWages V3 all of them (:meth:`RightsIndex.states`)."""

    pcsa_cbe_number: Any
    category: Any
    begin_date: Any
    end_date: Any  # null: open-ended
    household_category: Any
    decision_date: Any  # the decision date of the current state (the latest applied CREATE or MODIFY)
    last_event_type: Any  # the event that made the current state
    last_sequence: Any
    last_registration_date: Any


class IntegrationColumns(NamedTuple):
    cbe_number: Any
    begin_date: Any
    end_date: Any  # null: open-ended


AMOUNT = AmountColumns._make(range(len(AmountColumns._fields)))  # each column's position, by name
RIGHT = RightsColumns._make(range(len(RightsColumns._fields)))
_V2_RIGHT_COLUMNS = (RIGHT.pcsa_cbe_number, RIGHT.category, RIGHT.begin_date, RIGHT.end_date)
INTEGRATION = IntegrationColumns._make(range(len(IntegrationColumns._fields)))


def _select(person: str, columns: NamedTuple, source: str, order: str) -> str:
    """The query of an index: the person first, then ``columns`` (each field's SQL expression) under their names."""
    listed = ", ".join(sql if sql == name else f"{sql} AS {name}" for name, sql in columns._asdict().items())
    return f"SELECT {person} AS person, {listed} FROM {source} ORDER BY {order}"


class AmountsIndex(PersonIndex):
    """One person's amount rows by month (or year), in the contract's order; one index per grouping and role."""

    def rows_between(self, person: str, begin: dt.date, end: dt.date) -> tuple[int, int] | None:
        """The run [start, stop) of the person's rows whose month (year) overlaps [begin, end], or None.

        A month (year) overlaps when it lies between the first and the last month (year) of the period; rows are
        ordered by month (year) within a person, so the run is found by binary search before anything is read."""
        if self._kinds[AMOUNT.period] == "int":
            return self.bounds(person, begin.year, end.year)
        return self.bounds(person, month_start(begin), month_start(end))

    def last_month_flagged(self, start: int, stop: int) -> bool:
        """Whether a row of the last month of rows [start, stop) is the person's last indemnified month (the rows
        of a month are adjacent, so they end the run)."""
        months, flags = self.values(AMOUNT.period, start, stop), self.values(AMOUNT.is_last, start, stop)
        return any(flag for month, flag in zip(months, flags, strict=True) if month == months[-1])

    def stored_columns(self, start: int, stop: int) -> AmountColumns:
        """Rows [start, stop) column by column, as stored (:meth:`PersonIndex.stored`), by name."""
        return AmountColumns._make(self.stored(start, stop))

    def decoded(self, start: int, stop: int) -> list[AmountColumns]:
        """Rows [start, stop) as Python values, by name."""
        return list(map(AmountColumns._make, self.decode(start, stop)))


class RightsIndex(PersonIndex):
    """A person's active rights, ordered by CPAS, category and begin."""

    def periods(self, ssin: str) -> list[tuple]:
        """The person's rights as (CPAS, category, begin, end): the V2 columns only, nothing else decoded."""
        found = self.range_of(ssin)
        if found is None:
            return []
        return list(zip(*(self._decoders[column](*found) for column in _V2_RIGHT_COLUMNS), strict=True))

    def states(self, ssin: str) -> list[tuple]:
        """The person's rights with every column, as tuples in :class:`RightsColumns` order (LivingWages V3; plain
        tuples: a request makes one per right, and a named tuple's constructor costs more)."""
        found = self.range_of(ssin)
        return self.decode(*found) if found else []


class IntegrationsIndex(PersonIndex):
    """The integrations of people in the institutions' repertories."""

    def knows(self, ssin: str) -> bool:
        """Whether the person is in some repertory (their SSIN was checked when the reference data was loaded)."""
        return self.range_of(ssin) is not None

    def integration_windows(self, ssin: str, cbe: str) -> list[tuple[dt.date, dt.date]]:
        """The periods of ``cbe``'s integrations of the person, unmerged, an open end as ``date.max``.

        Several rows of one institution for one person are legal (other quality codes), open-ended ones too."""
        found = self.range_of(ssin)
        code = self.code(INTEGRATION.cbe_number, cbe)
        if found is None or code is None:
            return []
        cbes, begins, ends = self.stored(*found)  # the institution's rows by dictionary code: nothing else decoded
        day = self.day
        return [(day(b), day(e) or dt.date.max) for who, b, e in zip(cbes, begins, ends, strict=True) if who == code]


class Layout(NamedTuple):
    sql: str
    kind: type[PersonIndex]
    # (table, column, sql): the query for a snapshot published before ``column`` of ``table`` existed (one that
    # ``lww rollback`` serves again), which stands something else in for it
    older: tuple[str, str, str] | None = None

    def query(self, connection) -> str:
        """The query for the snapshot open on ``connection``."""
        if self.older is not None:
            table, column, sql = self.older
            found = connection.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                [table, column],
            ).fetchall()[0][0]
            if not found:
                return sql
        return self.sql


def _amounts(table: str, person: str, other: str, period: str, last: str) -> Layout:
    columns = AmountColumns(
        period=period,
        pcsa_cbe_number="pcsa_cbe_number",
        allowance_type="allowance_type",
        household_category="household_category",
        other=other,
        grant_periods="grant_periods",
        amount_cents="CAST(amount * 100 AS BIGINT)",  # money as integer cents: back to Decimal with 2 places
        covers_whole_period="covers_whole_period",
        finality_status="finality_status",
        is_last=last,
    )
    order = "person, period, pcsa_cbe_number, allowance_type, household_category, other NULLS FIRST"
    return Layout(_select(person, columns, table, order), AmountsIndex)


def _rights(state_decision_date: str) -> str:
    """The rights index's query; the state's decision date is published as state_decision_date (decision_date is
    the CREATE's, what a snapshot published before state_decision_date answers with)."""
    columns = RightsColumns(
        *RightsColumns._fields[:5], state_decision_date, "last_event_type", "last_sequence", "last_registration_date"
    )
    return _select("ssin", columns, "rights WHERE status = 'ACTIVE'", "ssin, pcsa_cbe_number, category, begin_date")


INDEXES: dict[Any, Layout] = {
    ("MONTH", "BENEFICIARY"): _amounts(
        "monthly_amounts", "beneficiary_ssin", "partner_ssin", "month", "is_last_indemnified_month"
    ),
    ("MONTH", "PARTNER"): _amounts(
        "monthly_amounts_by_partner", "partner_ssin", "beneficiary_ssin", "month", "is_last_indemnified_month"
    ),
    ("YEAR", "BENEFICIARY"): _amounts("yearly_amounts", "beneficiary_ssin", "partner_ssin", "year", "false"),
    ("YEAR", "PARTNER"): _amounts("yearly_amounts_by_partner", "partner_ssin", "beneficiary_ssin", "year", "false"),
    "rights": Layout(
        _rights("state_decision_date"), RightsIndex, ("rights", "state_decision_date", _rights("decision_date"))
    ),
    "integrations": Layout(
        _select("ssin", IntegrationColumns(*IntegrationColumns._fields), "integrations", "ssin, cbe_number"),
        IntegrationsIndex,
    ),
}

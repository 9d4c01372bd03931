"""Small-cell suppression for partner analysts (aggregates only): the rule, and the one list of what counts people.

A count of 1 to 4 people (or of rows, lines or events, which stand for people) could single someone out, so for
a ``PARTNER_ANALYST`` such a count is blanked, and with it every figure of the same row (amounts, averages,
shares, days), since each of them derives from those few people. A zero reveals nobody and stays.

Blanking the cell alone is not enough where the total of its group is shown too (a month's total beside its
breakdown, a KPI above its table): the total minus the visible parts would give it back. So within each such
group more rows are blanked, smallest count first, until what is hidden adds up to nothing or to at least
``THRESHOLD`` (complementary suppression).

Pages never call this module: :mod:`dashboards.lib.viewer` applies it to every frame it hands to a page, after
the cached query and before any chart, table or CSV (the cached query results are not role-specific).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

THRESHOLD = 5

# Columns that count people: a value above 0 and under THRESHOLD hides its row. An average number of people per
# month is one too (3.0 beneficiaries a month are 3 people, whatever the number of months).
COUNTS = frozenset(
    {
        "beneficiaries",
        "beneficiary_months",
        "beneficiaries_year_before",
        "avg_beneficiaries",
        "rows",
        "lines",
        "events",
        "late_decisions",
        "late_registrations",
    }
)
# Numbers that place a row rather than measure its people: kept when the row is blanked.
PLACES = frozenset({"rank", "age_months", "refreshes"})
# Numbers that do not count people, so a small value of them singles nobody out: amounts, shares, delays, ranks,
# and what a partner's own institution did (its requests to the service). Every other number a page shows a
# partner analyst is checked by the page test as a possible count of people.
NOT_PEOPLE = PLACES | frozenset(
    {
        "amount",
        "final_amount",
        "amount_year_before",
        "amount_change",
        "beneficiaries_change",
        "avg_amount",
        "partial_share",
        "rejection_rate",
        "share",
        "first_amount",
        "latest_amount",
        "revision",
        "revision_share",
        "max_months_late",
        "avg_decision_days",
        "avg_registration_days",
        "days_outside",
        "requests",
        "refusals",
        "refusal_rate",
        "http_status",
        "p50_ms",
        "p95_ms",
        "max_ms",
        "line_no",
        "errors",
        "months",
        "files",
    }
)


# KPIs of the pages that count no people (their labels, as the pages show them).
NOT_PEOPLE_KPIS = frozenset({"Requests", "Refused", "Refusal rate", "Slowest p95 (ms)", "Quarantined files"})


@dataclass(frozen=True)
class Hidden:
    """A single figure (a KPI) withheld from a partner analyst; ``small`` when it is itself a count of 1 to 4."""

    small: bool

    def __str__(self) -> str:
        return "<5" if self.small else "suppressed"


def _is_small(values: pd.Series) -> pd.Series:
    return (values > 0) & (values < THRESHOLD)


def _is_figure(column: pd.Series) -> bool:
    """Numbers (amounts come as Decimal objects), not codes, names, dates or flags."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    sample = column.dropna()
    return not sample.empty and isinstance(sample.iloc[0], decimal.Decimal | int | float)


def _numbers(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce").fillna(0) for c in columns}, index=frame.index)


def hidden_rows(frame: pd.DataFrame, counts: Sequence[str] | None = None, by: Sequence[str] | None = None) -> pd.Series:
    """Which rows a partner analyst may not see: a count in 1..THRESHOLD-1, then, when ``by`` is given, the
    complements within each group of ``by`` (``()``: the whole frame is one group) whose total is shown."""
    counts = [c for c in (COUNTS if counts is None else counts) if c in frame.columns]
    values = _numbers(frame, counts)
    hide = _is_small(values).any(axis=1) if counts else pd.Series(False, index=frame.index)
    if by is None or not hide.any():
        return hide
    groups = frame.groupby(list(by), sort=False, dropna=False).groups.values() if by else [frame.index]
    for members in groups:
        changed = True
        while changed:
            changed = False
            for column in counts:
                in_group = values.loc[members, column]
                hidden_total = in_group[hide.loc[members]].sum()
                if not 0 < hidden_total < THRESHOLD:
                    continue
                candidates = in_group[~hide.loc[members] & (in_group > 0)]
                if candidates.empty:  # the group's total is small itself: hidden wherever it is shown
                    continue
                hide.loc[candidates.sort_values(kind="stable").index[0]] = True
                changed = True
    return hide


def suppress(
    frame: pd.DataFrame,
    counts: Sequence[str] | None = None,
    linked: Sequence[str] | None = None,
    *,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A copy where the rows of :func:`hidden_rows` have their counts and figures blanked.

    ``counts`` default to :data:`COUNTS`; ``linked`` (the figures blanked with them) to every other number of
    the frame but :data:`PLACES`. The original (a cached query result) is left untouched.
    """
    frame = frame.copy()
    if frame.empty:
        return frame
    counts = [c for c in (COUNTS if counts is None else counts) if c in frame.columns]
    if linked is None:
        linked = [c for c in frame.columns if c not in PLACES and c not in counts and _is_figure(frame[c])]
    small = hidden_rows(frame, counts, by)
    for column in (*counts, *linked):
        if column not in frame.columns:
            continue
        if pd.api.types.is_integer_dtype(frame[column]):
            frame[column] = frame[column].astype("Int64")
        elif not pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].astype(object)
        frame.loc[small, column] = None
    return frame


def figures(row: Mapping[str, object]) -> dict[str, object]:
    """One row of KPIs as shown to a partner analyst: all of them :class:`Hidden` when a count is small."""
    if not any(is_small(row[c]) for c in COUNTS if c in row):
        return dict(row)
    return {name: Hidden(small=name in COUNTS and is_small(value)) for name, value in row.items()}


def is_small(count: object) -> bool:
    """Whether a single count (a KPI) must be hidden from a partner analyst."""
    try:
        value = float(count)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return 0 < value < THRESHOLD

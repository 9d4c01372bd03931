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

import numpy as np
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
PLACES = frozenset({"rank", "age_months", "refreshes", "household_category"})
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


# KPIs of the pages that count no people (the keys of their labels in dashboards.lib.i18n).
NOT_PEOPLE_KPIS = frozenset(
    {
        "consultations.requests",
        "consultations.refused",
        "consultations.refusal_rate",
        "consultations.slowest_p95",
        "quality.quarantined_files",
    }
)


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


def hidden_rows(
    frame: pd.DataFrame,
    counts: Sequence[str] | None = None,
    by: Sequence[str] | None = None,
    also: pd.Series | None = None,
) -> pd.Series:
    """Which rows a partner analyst may not see: a count in 1..THRESHOLD-1 (or ``also``: a row adding up a
    hidden cell, :class:`Cells`), then, when ``by`` is given, the complements within each group of ``by``
    (``()``: the whole frame is one group) whose total is shown."""
    counts = [c for c in (COUNTS if counts is None else counts) if c in frame.columns]
    values = _numbers(frame, counts)
    hide = _is_small(values).any(axis=1) if counts else pd.Series(False, index=frame.index)
    if also is not None:
        hide = hide | also.reindex(frame.index, fill_value=False)
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
    also: pd.Series | None = None,
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
    small = hidden_rows(frame, counts, by, also)
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


# Differencing. A partner analyst builds many views of one source (any period, any set of regions, CPAS or
# allowance types, each broken down several ways) and may subtract one from another: "all CPAS" minus "all but
# Namur" is Namur. Blanking within each view cannot stop that, since the two views are suppressed apart. So each
# source's figures are protected once, per month, over its lattice of *cells*: every combination of one value or
# "all" per dimension it can be cut by (CPAS, or region, or the country; allowance type; household category,
# finality, rejection code, ...). A cell is hidden when it counts 1 to 4, and more cells are hidden until no
# additive relation between cells (a parent is the sum of its children along one dimension: the country of its
# regions, a region of its CPAS, "all" of each value) gives a hidden cell back: never exactly one hidden member
# in a relation, and the hidden children of a shown parent together at least ``THRESHOLD`` (a heuristic of
# secondary cell suppression over linked tables, as statistical offices use). A figure of a view is then shown
# only when every cell it adds up is shown: a figure over several months, CPAS, regions or allowance types is a
# sum of shown cells, so whatever two views a partner subtracts, the difference is a sum of shown cells (hence
# 0 or at least 5 people), or one of the two is blank. What a view shows never depends on the view: the same
# cell is blank everywhere or nowhere.
EVERY = "every value"  # in a figure's coordinates: each value of the dimension, one by one (not their sum)


@dataclass(frozen=True)
class Cells:
    """One month of one source: which cells of its lattice are hidden from partner analysts.

    ``geo`` indexes the first axis: None (the country), each region, each CPAS; ``values`` index the other axes
    (index 0 is "all" of the dimension). ``region_of`` places each CPAS.
    """

    dims: tuple[str, ...]
    geo: Mapping[str | None, int]
    values: tuple[Mapping[object, int], ...]
    region_of: Mapping[str, str]
    hidden: np.ndarray

    def hides(self, geo: Sequence[str | None], choice: Mapping[str, object]) -> bool:
        """Whether a figure adding up the cells ``geo`` (CPAS, regions, or None for the country) × for each
        dimension: ``choice[dim]`` (a list of values, :data:`EVERY`, or None / absent for "all") has a hidden one.
        Values that do not occur this month add nothing and hide nothing."""
        axes = [[self.geo[g] for g in geo if g in self.geo]]
        for dim, index in zip(self.dims, self.values, strict=True):
            chosen = choice.get(dim)
            if chosen is None:
                axes.append([0])
            elif chosen is EVERY:
                axes.append([i for i in index.values() if i > 0])
            else:
                axes.append([index[v] for v in chosen if v in index])  # type: ignore[union-attr]
        if any(not axis for axis in axes):
            return False
        return bool(self.hidden[np.ix_(*axes)].any())


def protect(
    base: pd.DataFrame,
    dims: Sequence[str],
    counts: Sequence[str],
    region_of: Mapping[str, str],
    parts_only: Sequence[str] = (),
) -> Cells:
    """The hidden cells of one month of a source, from its rows at the finest grain (``pcsa_cbe_number``,
    ``dims``, ``counts``; several rows of one cell are added). ``parts_only``: the dimensions no view adds up
    (each rejection code is shown, never all codes together), whose "all" cell is no relation anyone knows."""
    region_of = dict(region_of)
    if "region" in base:
        for cbe, region in zip(base["pcsa_cbe_number"], base["region"].fillna(""), strict=True):
            region_of.setdefault(cbe, region)
    for cbe in base["pcsa_cbe_number"]:
        region_of.setdefault(cbe, "")
    regions = sorted(set(region_of.values()))
    geo: dict[str | None, int] = {None: 0, **{r: 1 + i for i, r in enumerate(regions)}}
    for cbe in sorted(region_of):
        geo[cbe] = len(geo)
    values = tuple({None: 0, **{v: 1 + i for i, v in enumerate(sorted(base[d].dropna().unique()))}} for d in dims)
    shape = (len(counts), len(geo), *(len(v) for v in values))
    cube = np.zeros(shape, dtype=np.int64)
    index = tuple(
        [np.array([geo[c] for c in base["pcsa_cbe_number"]], dtype=np.intp)]
        + [np.array([v.get(x, 0) for x in base[d]], dtype=np.intp) for d, v in zip(dims, values, strict=True)]
    )
    for k, column in enumerate(counts):
        np.add.at(cube[k], index, pd.to_numeric(base[column]).fillna(0).to_numpy(dtype=np.int64))
    # The margins: "all" of each dimension, then each region of its CPAS and the country of its regions.
    for axis in range(2, cube.ndim):
        parent = [slice(None)] * cube.ndim
        parent[axis] = 0
        cube[tuple(parent)] = np.take(cube, range(1, cube.shape[axis]), axis=axis).sum(axis=axis)
    relations: list[tuple[int, int, list[int]]] = []
    for region in regions:
        members = [geo[c] for c, r in region_of.items() if r == region]
        cube[:, geo[region]] = cube[:, members].sum(axis=1)
        relations.append((0, geo[region], members))
    cube[:, 0] = cube[:, [geo[r] for r in regions]].sum(axis=1)
    relations.append((0, 0, [geo[r] for r in regions]))
    for axis, (dim, index) in enumerate(zip(dims, values, strict=True)):
        if dim not in parts_only:
            relations.append((1 + axis, 0, list(range(1, len(index)))))
    hidden = ((cube > 0) & (cube < THRESHOLD)).any(axis=0)
    while _complete(cube, hidden, relations):
        pass
    return Cells(tuple(dims), geo, values, region_of, hidden)


def _complete(cube: np.ndarray, hidden: np.ndarray, relations: list[tuple[int, int, list[int]]]) -> bool:
    """One pass of secondary suppression over every relation; whether it hid anything."""
    changed = False
    for axis, parent, children in relations:
        if not children:
            continue
        values = np.moveaxis(np.take(cube, children, axis=axis + 1), axis + 1, -1)  # counts × other axes × children
        mark = np.moveaxis(np.take(hidden, children, axis=axis), axis, -1)  # other axes × children
        top = np.take(hidden, parent, axis=axis)  # other axes
        hidden_sums = (values * mark).sum(axis=-1)  # counts × other axes
        lonely = (top.astype(int) + mark.sum(axis=-1)) == 1  # one hidden member: the others give it back
        small_rest = (~top) & ((hidden_sums > 0) & (hidden_sums < THRESHOLD)).any(axis=0)
        need = lonely | small_rest
        if not need.any():
            continue
        # The smallest child still shown that counts someone; where there is none, the parent itself.
        size = np.where(~mark & (values.sum(axis=0) > 0), values[0] + values.sum(axis=0) * 1e-9, np.inf)
        best = size.argmin(axis=-1)
        has = np.isfinite(size.min(axis=-1))
        for position in zip(*np.nonzero(need), strict=True):
            if has[position]:
                child = children[best[position]]
                target = (*position[:axis], child, *position[axis:])
            elif not top[position]:
                target = (*position[:axis], parent, *position[axis:])
            else:
                continue  # a hidden parent alone with no child to pair it with: its children are all zero
            if not hidden[target]:
                hidden[target] = True
                changed = True
    return changed

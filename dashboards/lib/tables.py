"""Tables and KPI figures as the pages show them: readable headers, Belgian number formats (one module,
:mod:`dashboards.lib.formats`), withheld cells reading ``< 5`` with a footnote, and a CSV download under each table."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboards.lib import formats, i18n
from dashboards.lib.labels import readable, title
from dashboards.lib.privacy import Hidden


def hidden_cells(frame: pd.DataFrame) -> frozenset[tuple[object, str]]:
    """The cells of ``frame`` withheld from its viewer (:mod:`dashboards.lib.viewer` marks them)."""
    cells = frame.attrs.get(formats.HIDDEN_CELLS, frozenset())
    return frozenset((index, column) for index, column in cells if index in frame.index and column in frame.columns)


def _plain(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return formats.NOTHING
    if isinstance(value, bool):
        return i18n.t("table.yes") if value else i18n.t("table.no")
    if isinstance(value, dt.datetime | pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _month(value: object) -> str:
    return f"{value:%Y-%m}" if isinstance(value, dt.date) else _plain(value)


def _figure_text(value: object) -> object:
    """A number as plain text (``42054.40``, ``3``), None kept: the value under a withheld cell's column."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    return format(decimal.Decimal(str(value)), "f")


def _marked(shown: pd.DataFrame, hidden: frozenset[tuple[object, str]]) -> pd.DataFrame:
    """``shown`` with each withheld cell holding ``< 5``, so that the grid paints it (it paints every empty cell
    alike, and a cell empty by nature, as a month without a year before, is no withheld one). A column with such
    a cell becomes text (plain numbers, formatted by :func:`styled`)."""
    marked = shown.copy()
    for column in {name for _, name in hidden}:
        rows = [index for index, name in hidden if name == column]
        marked[column] = marked[column].map(_figure_text).astype(object)
        marked.loc[rows, column] = formats.HIDDEN
    return marked


def styled(shown: pd.DataFrame, hidden: frozenset[tuple[object, str]] = frozenset()) -> pd.io.formats.style.Styler:
    """What each cell reads, in the Belgian formats of :mod:`dashboards.lib.formats`; a withheld cell ``< 5``.
    The values underneath stay numbers (but in a column with a withheld cell), so a column sorts by value."""
    kinds = {column: formats.kind(column, shown[column]) for column in shown.columns}
    marked = _marked(shown, hidden)
    styler = marked.style
    for column in marked.columns:
        figure = kinds[column]
        if column == title("month"):
            formatter = _month
        elif figure is None:
            formatter = _plain
        elif any(name == column for _, name in hidden):
            formatter = lambda v, f=figure: v if v == formats.HIDDEN else f(decimal.Decimal(v))  # noqa: E731
        else:
            formatter = figure
        styler = styler.format(formatter, subset=[column], na_rep=formats.NOTHING)
    return styler


def show(
    frame: pd.DataFrame,
    *,
    name: str,
    height: int | None = None,
    empty: str | None = None,
    detail: Sequence[str] = (),
) -> None:
    """Show ``frame`` (codes labelled, readable headers, Belgian number formats, withheld cells as ``< 5`` with a
    footnote) with a CSV download of exactly what is shown.

    A frame without rows is said in words (``empty``: what is empty and what to change; by default, the
    sidebar's filters), never drawn as an empty grid. The columns in ``detail`` are left out of the table so
    that it fits the page at 1,280 px; the whole table, with them, is in an expander under it.
    """
    if frame.empty:
        st.info(empty or i18n.t("tables.empty"), icon=":material/filter_alt_off:")
        return
    left_out = [column for column in detail if column in frame.columns]
    _grid(frame.drop(columns=left_out), name=name, height=height)
    if left_out:
        more = ", ".join(title(column) for column in left_out)
        with st.expander(i18n.t("tables.all_columns", columns=more)):
            _grid(frame, name=f"{name}-all-columns", height=height)


def _grid(frame: pd.DataFrame, *, name: str, height: int | None) -> None:
    columns = {column: title(column) for column in frame.columns}
    hidden = frozenset((index, columns[column]) for index, column in hidden_cells(frame))
    shown = readable(frame)
    shown.attrs = {}  # the marks above are the table's, not data for the browser
    st.dataframe(
        styled(shown, hidden),
        hide_index=True,
        placeholder=formats.NOTHING,  # a cell empty by nature (no year before): a dash, not "None"
        height=height if height is not None and len(shown) > 10 else "auto",  # no empty grid under few rows
    )
    if hidden:
        st.caption(formats.footnote())
    st.download_button(
        i18n.t("table.download"),
        data=lambda: formats.csv(shown, hidden),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv-{name}",
        on_click="ignore",
        icon=":material/download:",
    )


def euros(value: object) -> str:
    """``1.234.567,89 €`` for a KPI; a dash when there is nothing; ``< 5`` or "suppressed" when withheld."""
    if isinstance(value, Hidden):
        return _withheld(value)
    return formats.euros(value)


def count(value: object) -> str:
    """``1.234`` for a KPI; ``< 5`` (or "suppressed") when withheld from the viewer."""
    if isinstance(value, Hidden):
        return _withheld(value)
    return formats.count(value)


def _withheld(value: Hidden) -> str:
    return formats.HIDDEN if value.small else i18n.t("table.suppressed")


def withheld_help(*values: object) -> str | None:
    """The footnote of a KPI tile (its help) when one of ``values`` is withheld from the viewer."""
    return formats.footnote() if any(isinstance(v, Hidden) for v in values) else None


def percent(value: object, text: str) -> str | None:
    """A share as a KPI's delta (``93.8% final``); None, so no delta at all, when unknown or withheld."""
    if value is None or isinstance(value, Hidden) or pd.isna(value):  # type: ignore[arg-type]
        return None
    return f"{formats.percent(value)} {text}"

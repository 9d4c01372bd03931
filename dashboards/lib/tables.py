"""Tables as the pages show them: readable headers, EUR amounts, and a CSV download under each one."""

from __future__ import annotations

import decimal

import pandas as pd
import streamlit as st

from dashboards.lib.labels import readable
from dashboards.lib.privacy import Hidden

_PERCENT_COLUMNS = (
    "Share of partial months",
    "Rejection rate",
    "Change in amount",
    "Change in beneficiaries",
    "Share of the month",
    "Revision share",
)


def _column_config(frame: pd.DataFrame) -> dict[str, object]:
    config: dict[str, object] = {}
    for column in frame.columns:
        if "(EUR)" in column:
            config[column] = st.column_config.NumberColumn(column, format="euro")
        elif column in _PERCENT_COLUMNS:
            config[column] = st.column_config.NumberColumn(column, format="percent")
        elif column in ("Month",):
            config[column] = st.column_config.DateColumn(column, format="YYYY-MM")
    return config


def _csv(frame: pd.DataFrame) -> str:
    """CSV with exact amounts: Decimal values are written as they are (``1314.20``), never through floats."""
    return frame.to_csv(index=False, date_format="%Y-%m-%d")


def show(frame: pd.DataFrame, *, name: str, height: int | None = None) -> None:
    """Show ``frame`` (codes labelled, readable headers) with a CSV download of exactly what is shown."""
    shown = readable(frame)
    st.dataframe(
        shown,
        hide_index=True,
        column_config=_column_config(shown),
        height=height if height is not None and len(shown) > 10 else "auto",  # no empty grid under few rows
    )
    st.download_button(
        "Download CSV",
        data=lambda: _csv(shown),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv-{name}",
        on_click="ignore",
        icon=":material/download:",
    )


def euros(value: object) -> str:
    """``€ 1,234,567.89`` for a KPI; a dash when there is nothing; "suppressed" when withheld from the viewer."""
    if isinstance(value, Hidden):
        return "suppressed"
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "–"
    amount = decimal.Decimal(str(value)).quantize(decimal.Decimal("0.01"))
    return f"€ {amount:,.2f}"


def count(value: object) -> str:
    """``1,234`` for a KPI; "<5" (or "suppressed") when withheld from the viewer."""
    if isinstance(value, Hidden):
        return str(value)
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return f"{int(value):,}"  # type: ignore[call-overload]


def percent(value: object, text: str) -> str | None:
    """A share as a KPI's delta (``93.8% final``); None, so no delta at all, when unknown or withheld."""
    if value is None or isinstance(value, Hidden) or pd.isna(value):  # type: ignore[arg-type]
        return None
    return f"{value:.1%} {text}"

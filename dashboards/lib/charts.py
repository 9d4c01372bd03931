"""Altair charts of the dashboards: months on the x axis, amounts in EUR (Belgian formats), readable legends and
tooltips.

Vega-Lite plots numbers as doubles, so amounts are converted to float here, for drawing only; tables and CSV
keep the exact ``Decimal`` values.
"""

from __future__ import annotations

import decimal

import altair as alt
import pandas as pd
import streamlit as st

from dashboards.lib import formats
from dashboards.lib.labels import FINALITY_LABELS, label_codes, title

EUR_FORMAT = formats.CHART_EUROS  # 1.234,56 € with the Belgian locale every chart is drawn in
# Final reads as settled (green), consolidating as waiting (amber), provisional as still moving (grey).
FINALITY_SCALE = alt.Scale(
    domain=[FINALITY_LABELS[s] for s in ("FINAL", "CONSOLIDATING", "PROVISIONAL")],
    range=["#2e7d32", "#f9a825", "#9e9e9e"],
)


def draw(chart: alt.Chart) -> None:
    """Show a chart across the width of its column, in the app's theme, its numbers in the Belgian formats of
    the tables (:mod:`dashboards.lib.formats`: ``1.234,56 €``)."""
    st.altair_chart(chart.configure(locale=formats.CHART_LOCALE), width="stretch")


def _color(column: str) -> alt.Color:
    if column == "finality_status":
        return alt.Color(f"{title(column)}:N", title=title(column), scale=FINALITY_SCALE, sort=FINALITY_SCALE.domain)
    return alt.Color(f"{title(column)}:N", title=title(column))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Decimals to floats and dates to timestamps, the types Vega-Lite understands; codes labelled."""
    frame = label_codes(frame)
    frame.attrs = {}  # the viewer's marks of withheld cells (dashboards.lib.formats) are not the chart's data
    for column in frame.columns:
        sample = frame[column].dropna()
        if sample.empty:
            continue
        first = sample.iloc[0]
        if isinstance(first, decimal.Decimal):
            frame[column] = pd.to_numeric(frame[column].map(lambda v: None if v is None else float(v)))
        elif column in ("month", "reference_date", "day") or hasattr(first, "isoformat"):
            frame[column] = pd.to_datetime(frame[column])
    return frame.rename(columns=title)


def _value_axis(column: str) -> alt.Axis:
    if "(EUR)" in title(column):
        return alt.Axis(format=formats.CHART_EUROS_AXIS, title=title(column))
    return alt.Axis(format=",d", title=title(column), tickMinStep=1)  # counts: no "0 0 1 1" ticks


def monthly(
    frame: pd.DataFrame,
    value: str,
    color: str | None = None,
    *,
    kind: str = "bar",
    height: int = 320,
) -> alt.Chart:
    """A value per month, stacked (bars) or one line per ``color`` group."""
    data = _plain(frame)
    mark = alt.Chart(data).mark_bar() if kind == "bar" else alt.Chart(data).mark_line(point=True)
    tooltip = [alt.Tooltip(f"{title('month')}:T", format="%B %Y")]
    # Bars on an ordinal month axis (one band per month); lines on a time axis.
    month_type = "O" if kind == "bar" else "T"
    encoding: dict[str, object] = {
        "x": alt.X(
            f"yearmonth({title('month')}):{month_type}", title="Month", axis=alt.Axis(format="%b %Y", labelAngle=-45)
        ),
        "y": alt.Y(f"{title(value)}:Q", axis=_value_axis(value), stack=True if kind == "bar" else None),
    }
    if color is not None:
        encoding["color"] = _color(color)
        tooltip.append(alt.Tooltip(f"{title(color)}:N"))
    tooltip.append(alt.Tooltip(f"{title(value)}:Q", format=EUR_FORMAT if "(EUR)" in title(value) else ",d"))
    encoding["tooltip"] = tooltip
    return mark.encode(**encoding).properties(height=height)


def bars(
    frame: pd.DataFrame, category: str, value: str, *, color: str | None = None, height: int | None = None
) -> alt.Chart:
    """Horizontal bars of ``value`` per ``category``, longest first; the height follows the number of bars."""
    data = _plain(frame)
    if height is None:
        height = max(160, 34 * data[title(category)].nunique() + 40)
    value_title, category_title = title(value), title(category)
    encoding: dict[str, object] = {
        "y": alt.Y(f"{category_title}:N", sort="-x", title=category_title, axis=alt.Axis(labelLimit=320)),
        "x": alt.X(f"{value_title}:Q", axis=_value_axis(value)),
        "tooltip": [
            alt.Tooltip(f"{category_title}:N"),
            alt.Tooltip(f"{value_title}:Q", format=EUR_FORMAT if "(EUR)" in value_title else ",d"),
        ],
    }
    if color is not None:
        encoding["color"] = _color(color)
    return alt.Chart(data).mark_bar().encode(**encoding).properties(height=height)


def year_on_year(frame: pd.DataFrame, *, height: int = 260) -> alt.Chart:
    """Each month's amount beside the same month a year before: two lines."""
    long = pd.concat(
        [
            frame[["month", "amount"]].assign(series="Selected period"),
            frame[["month", "amount_year_before"]]
            .rename(columns={"amount_year_before": "amount"})
            .assign(series="A year before"),
        ]
    )
    return monthly(long, "amount", "series", kind="line", height=height)


def convergence(frame: pd.DataFrame, *, height: int = 340) -> alt.Chart:
    """Each month's published total at every refresh: flat lines are months that stopped moving."""
    data = _plain(frame)
    data["Benefit month"] = data[title("month")].dt.strftime("%Y-%m")
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{title('reference_date')}:T", title="Refresh (reference date)"),
            y=alt.Y(f"{title('amount')}:Q", axis=_value_axis("amount"), scale=alt.Scale(zero=False)),
            color=alt.Color("Benefit month:N", title="Benefit month"),
            tooltip=[
                alt.Tooltip("Benefit month:N"),
                alt.Tooltip(f"{title('reference_date')}:T", format="%Y-%m-%d"),
                alt.Tooltip(f"{title('amount')}:Q", format=EUR_FORMAT),
            ],
        )
        .properties(height=height)
    )


def daily(frame: pd.DataFrame, values: list[str], *, height: int = 260) -> alt.Chart:
    """Counts per day, one line per series (e.g. requests and refusals).

    Folded by Vega-Lite rather than melted here: the chart's data keeps one titled column per series, as the
    tables do.
    """
    return (
        alt.Chart(_plain(frame[["day", *values]]))
        .transform_fold([title(v) for v in values], as_=["Series", "Count"])
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{title('day')}:T", title="Day", axis=alt.Axis(format="%d %b")),
            y=alt.Y("Count:Q", axis=alt.Axis(format=",d", title="Requests")),
            color=alt.Color("Series:N", title=None),
            tooltip=[alt.Tooltip(f"{title('day')}:T", format="%Y-%m-%d"), "Series:N", "Count:Q"],
        )
        .properties(height=height)
    )

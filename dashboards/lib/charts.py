"""Altair charts of the dashboards: months on the x axis, amounts in EUR (Belgian formats), readable legends and
tooltips, and the palette, in one place.

Colours say one thing each: the chosen period in the emphasised blue and its comparison (a year before) in the
same blue, pale; categories in a palette without red; red only for what is wrong (rejections, refusals); grey
for a heat-map cell withheld from a partner analyst. Legends go under the chart, in as many columns as their
longest label allows, and are never cut short.

Vega-Lite plots numbers as doubles, so amounts are converted to float here, for drawing only; tables and CSV
keep the exact ``Decimal`` values.
"""

from __future__ import annotations

import decimal
import json
import textwrap
from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from dashboards.lib import formats, i18n
from dashboards.lib.labels import ALLOWANCE_LABELS, CATEGORY_LABELS, FINALITY_LABELS, REGION_LABELS, label_codes
from dashboards.lib.labels import title as column_title

# -- the palette
EMPHASIS = "#1f5fa8"  # the chosen period; a single series
PALE = "#b3cbe8"  # the comparison: the same months a year before (the emphasised blue, pale)
ALERT = "#c0392b"  # only what is wrong: rejections, refusals
WITHHELD = "#d9d9d9"  # a heat-map cell withheld from a partner analyst
HEAT = ("#fbe3df", ALERT)  # counts of rejections, from few to many
# Categories (allowance types, regions, CPAS compared...): distinct hues, none of them red, so that no main
# series reads as an alarm.
CATEGORIES = (
    EMPHASIS,
    "#e69f00",  # orange
    "#009e73",  # green
    "#7e57c2",  # purple
    "#56b4e9",  # sky blue
    "#8d6e63",  # brown
    "#00897b",  # teal
    "#607d8b",  # slate
    "#9e9d24",  # olive
    "#3949ab",  # indigo
)
# Final reads as settled (green), consolidating as waiting (amber), provisional as still moving (grey).
FINALITY_COLOURS = {"FINAL": "#2e7d32", "CONSOLIDATING": "#f9a825", "PROVISIONAL": "#9e9e9e"}

# The coded groupings, whose labels (in the language of the run) keep one colour each, in the codes' order.
CODED = {"allowance_type": ALLOWANCE_LABELS, "region": REGION_LABELS, "household_category": CATEGORY_LABELS}

EUR_FORMAT = formats.CHART_EUROS  # 1.234,56 € with the Belgian locale every chart is drawn in
LEGEND_WIDTH = 380  # px a legend may take: half the main area at 1,280 px with the sidebar open
HEATMAP_ROWS = 25  # CPAS drawn in a heat map; the table under it has them all
HEATMAP_WIDTH = 620  # px the cells of a heat map have at 1,280 px (beside the row labels and the legend)


# Characters a Vega-Lite field name cannot hold as they are (an apostrophe ends a string in the expressions Vega
# writes, so "Type d'aide" drew nothing; a dot or a bracket reads as a nested field), and what stands for them.
_FIELD_SAFE = str.maketrans({"'": "’", ".": "․", "[": "(", "]": ")"})


def title(column: str) -> str:
    """The readable title of ``column`` (:func:`dashboards.lib.labels.title`) as a chart's field and axis title:
    the same words, with a typographic apostrophe (``Type d’aide``) and no dot or bracket."""
    return column_title(column).translate(_FIELD_SAFE)


def finality_scale() -> alt.Scale:
    """The finality statuses in their colours, labelled in the language of the run."""
    return alt.Scale(domain=[FINALITY_LABELS[s] for s in FINALITY_COLOURS], range=list(FINALITY_COLOURS.values()))


def draw(
    chart: alt.Chart | alt.LayerChart, *, key: str | None = None, on_select: Callable[[], None] | None = None
) -> object:
    """Show a chart across the width of its column, its numbers in the Belgian formats of the tables
    (:mod:`dashboards.lib.formats`: ``1.234,56 €``) and its dates in the language of the run. With ``on_select``
    (a callback), a click on a mark selects it: the chart's selection is then in ``st.session_state[key]``."""
    configured = chart.configure(locale=formats.chart_locale()).configure_view(strokeWidth=0)
    if on_select is None:
        return st.altair_chart(configured, width="stretch")
    return st.altair_chart(configured, width="stretch", key=key, on_select=on_select, selection_mode="pick")


def legend(labels: Sequence[object], *, width: int = LEGEND_WIDTH, title: str | None = None) -> alt.Legend:
    """A legend under the chart whose labels are never cut short: as many columns as the longest label leaves
    room for in ``width`` pixels (one per line when they are long)."""
    names = [str(label) for label in labels if label is not None and not pd.isna(label)]
    longest = max((len(name) for name in names), default=1)
    per_entry = 7 * longest + 30  # ~7 px a character at the legend's font size, then the symbol and a gap
    columns = max(1, min(len(names) or 1, width // per_entry))
    return alt.Legend(orient="bottom", direction="horizontal", columns=columns, labelLimit=0, title=title)


def _color(column: str, data: pd.DataFrame) -> alt.Color:
    """Colours of the groups of ``column`` (already labelled): the finality statuses in theirs; a code's groups
    (allowance types, regions, household categories) each in its own colour of the palette, in the order of the
    codes, on every page and whatever the filters leave (the living wage first, in the emphasised blue); any
    other grouping in the palette's categories."""
    field = title(column)
    labels = list(dict.fromkeys(data[field].dropna())) if field in data.columns else []
    if column == "finality_status":
        scale = finality_scale()
        return alt.Color(f"{field}:N", title=field, scale=scale, sort=scale.domain, legend=legend(scale.domain))
    if column in CODED:
        names = [CODED[column][code] for code in CODED[column]]
        shown = [name for name in names if name in labels]
        colours = [CATEGORIES[names.index(name) % len(CATEGORIES)] for name in shown]
        scale = alt.Scale(domain=shown, range=colours)
        return alt.Color(f"{field}:N", title=field, scale=scale, sort=shown, legend=legend(shown, title=field))
    return alt.Color(
        f"{field}:N", title=field, scale=alt.Scale(range=list(CATEGORIES)), legend=legend(labels, title=field)
    )


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


def _is_amount(column: str) -> bool:
    return column in ("amount", "amount_year_before", "avg_amount", "first_amount", "latest_amount", "revision")


def _value_format(column: str) -> str:
    return EUR_FORMAT if _is_amount(column) else formats.CHART_COUNT


# A vertical axis's title written across, above the axis: turned along a short chart, a long title ("Gemiddelde
# per begunstigdenmaand (EUR)") ran out of it.
TITLE_ON_TOP = {"titleAngle": 0, "titleAlign": "left", "titleBaseline": "bottom", "titleX": 0, "titleY": -8}


def _value_axis(column: str, *, vertical: bool = False) -> alt.Axis:
    on_top = TITLE_ON_TOP if vertical else {}
    if _is_amount(column):
        return alt.Axis(format=formats.CHART_EUROS_AXIS, title=title(column), **on_top)
    # counts: no "0 0 1 1" ticks
    return alt.Axis(format=formats.CHART_COUNT, title=title(column), tickMinStep=1, **on_top)


def monthly(
    frame: pd.DataFrame,
    value: str,
    color: str | None = None,
    *,
    kind: str = "bar",
    height: int = 320,
    colors: alt.Scale | None = None,
) -> alt.Chart:
    """A value per month, stacked (bars) or one line per ``color`` group (in ``colors`` when given)."""
    data = _plain(frame)
    if kind == "bar":
        mark = alt.Chart(data).mark_bar(color=EMPHASIS)
    else:
        mark = alt.Chart(data).mark_line(point=True, color=EMPHASIS)
    tooltip = [alt.Tooltip(f"{title('month')}:T", format="%B %Y")]
    # Bars on an ordinal month axis (one band per month); lines on a time axis.
    month_type = "O" if kind == "bar" else "T"
    encoding: dict[str, object] = {
        "x": alt.X(
            f"yearmonth({title('month')}):{month_type}",
            title=title("month"),
            axis=alt.Axis(format="%b %Y", labelAngle=-45),
        ),
        "y": alt.Y(f"{title(value)}:Q", axis=_value_axis(value, vertical=True), stack=True if kind == "bar" else None),
    }
    if color is not None:
        encoding["color"] = _color(color, data)
        if colors is not None:
            field = title(color)
            encoding["color"] = alt.Color(
                f"{field}:N", title=None, scale=colors, sort=list(colors.domain), legend=legend(colors.domain)
            )
        tooltip.append(alt.Tooltip(f"{title(color)}:N"))
    tooltip.append(alt.Tooltip(f"{title(value)}:Q", format=_value_format(value)))
    encoding["tooltip"] = tooltip
    if color is not None:  # the legend under the chart takes its height from the plot's: give it back
        height += 40 + 20 * _legend_rows(data[title(color)].nunique(), encoding["color"])
    return mark.encode(**encoding).properties(height=height)


def _legend_rows(entries: int, color: alt.Color) -> int:
    columns = color.to_dict().get("legend", {}).get("columns", 1) or 1
    return -(-entries // columns)


def bars(
    frame: pd.DataFrame,
    category: str,
    value: str,
    *,
    color: str | None = None,
    height: int | None = None,
    alert: bool = False,
    pick: str | None = None,
) -> alt.Chart:
    """Horizontal bars of ``value`` per ``category``, longest first; the height follows the number of bars.

    ``alert``: the bars count what is wrong (rejections), in red. ``pick``: a column of ``frame`` that a click
    on a bar selects (its value in the chart's selection ``pick``; see :func:`picked`).
    """
    data = _plain(frame)
    if height is None:
        height = max(160, 34 * data[title(category)].nunique() + 40)
    value_title, category_title = title(value), title(category)
    encoding: dict[str, object] = {
        "y": alt.Y(
            f"{category_title}:N",
            sort="-x",
            title=category_title,
            axis=alt.Axis(labelLimit=320, **TITLE_ON_TOP | {"titleAlign": "right"}),
        ),
        "x": alt.X(f"{value_title}:Q", axis=_value_axis(value)),
        "tooltip": [
            alt.Tooltip(f"{category_title}:N"),
            alt.Tooltip(f"{value_title}:Q", format=_value_format(value)),
        ],
    }
    if color is not None:
        encoding["color"] = _color(color, data)
    chart = alt.Chart(data).mark_bar(color=ALERT if alert else EMPHASIS, cursor="pointer" if pick else "default")
    if pick is not None:
        selection = alt.selection_point(name="pick", fields=[title(pick)], on="click", empty=True)
        encoding["opacity"] = alt.condition(selection, alt.value(1.0), alt.value(0.45))
        chart = chart.add_params(selection)
    return chart.encode(**encoding).properties(height=height)


def picked(state: object, column: str) -> list[str]:
    """The values of ``column`` (a raw column name) picked by a click on a chart drawn with ``bars(pick=...)``;
    ``state`` is the chart's selection state (``st.session_state[key]``)."""
    try:
        points = state["selection"]["pick"]  # type: ignore[index]
    except (KeyError, TypeError):
        return []
    field = title(column)
    return [str(point[field]) for point in points or [] if isinstance(point, dict) and point.get(field) is not None]


def year_on_year(frame: pd.DataFrame, *, height: int = 260) -> alt.Chart:
    """Each month's amount beside the same month a year before: the chosen period emphasised, the year before
    pale."""
    chosen, before = i18n.t("chart.selected_period"), i18n.t("chart.year_before")
    long = pd.concat(
        [
            frame[["month", "amount"]].assign(series=chosen),
            frame[["month", "amount_year_before"]]
            .rename(columns={"amount_year_before": "amount"})
            .assign(series=before),
        ]
    )
    colors = alt.Scale(domain=[chosen, before], range=[EMPHASIS, PALE])
    return monthly(long, "amount", "series", kind="line", height=height, colors=colors)


def convergence(frame: pd.DataFrame, *, height: int = 340) -> alt.Chart:
    """Each month's published total at every refresh: flat lines are months that stopped moving."""
    data = _plain(frame)
    month = i18n.t("chart.benefit_month").translate(_FIELD_SAFE)
    data[month] = data[title("month")].dt.strftime("%Y-%m")
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{title('reference_date')}:T", title=i18n.t("chart.refresh")),
            y=alt.Y(f"{title('amount')}:Q", axis=_value_axis("amount", vertical=True), scale=alt.Scale(zero=False)),
            color=alt.Color(
                f"{month}:N",
                title=month,
                scale=alt.Scale(range=list(CATEGORIES)),
                legend=legend(sorted(data[month].unique()), width=2 * LEGEND_WIDTH, title=month),
            ),
            tooltip=[
                alt.Tooltip(f"{month}:N"),
                alt.Tooltip(f"{title('reference_date')}:T", format="%d/%m/%Y"),
                alt.Tooltip(f"{title('amount')}:Q", format=EUR_FORMAT),
            ],
        )
        .properties(height=height)
    )


def daily(frame: pd.DataFrame, values: list[str], *, alert: Sequence[str] = (), height: int = 260) -> alt.Chart:
    """Counts per day, one line per series (e.g. requests and refusals); the series in ``alert`` (refusals) in
    red, the others in the palette.

    Folded by Vega-Lite rather than melted here: the chart's data keeps one titled column per series, as the
    tables do.
    """
    names = [title(v) for v in values]
    others = iter(CATEGORIES)
    colors = [ALERT if v in alert else next(others) for v in values]
    series, count = (i18n.t(key).translate(_FIELD_SAFE) for key in ("chart.series", "chart.count"))
    return (
        alt.Chart(_plain(frame[["day", *values]]))
        .transform_fold(names, as_=[series, count])
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{title('day')}:T", title=title("day"), axis=alt.Axis(format="%d %b")),
            y=alt.Y(f"{count}:Q", axis=alt.Axis(format=formats.CHART_COUNT, title=title("requests"), **TITLE_ON_TOP)),
            color=alt.Color(
                f"{series}:N", title=None, scale=alt.Scale(domain=names, range=colors), legend=legend(names)
            ),
            tooltip=[
                alt.Tooltip(f"{title('day')}:T", format="%d/%m/%Y"),
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip(f"{count}:Q", format=formats.CHART_COUNT),
            ],
        )
        .properties(height=height)
    )


def heatmap(
    frame: pd.DataFrame,
    row: str,
    column: str,
    value: str,
    *,
    hidden: frozenset[tuple[object, str]] = frozenset(),
    rows: int = HEATMAP_ROWS,
    order: str | None = None,
) -> alt.LayerChart:
    """``value`` (a count of what is wrong) per ``row`` and ``column``, as the colour of a cell, its figure
    written in it; the first ``rows`` values of ``row`` in the order of ``frame``.

    A cell in ``hidden`` ((index, raw column) pairs of cells withheld from a partner analyst) is grey and reads
    ``< 5``: its count is not in the chart's data at all, so neither the colour nor the tooltip can give it.
    """
    labelled = label_codes(frame)
    kept = list(dict.fromkeys(labelled[row]))[:rows]
    # The columns in the order of their codes (``order``: e.g. R01, R02, ...), not of their labels.
    across = list(dict.fromkeys(labelled.sort_values(order)[column] if order else labelled[column]))
    width = max(8, int(HEATMAP_WIDTH / max(1, len(across)) / 7))  # characters a column's label may have a line
    data = _plain(frame[labelled[row].isin(kept)])
    withheld = [index for index, name in hidden if name == value and index in data.index]
    row_title, column_title, value_title = title(row), title(column), title(value)
    data.loc[withheld, value_title] = None
    data = data[[row_title, column_title, value_title]]
    shown = "lww_cell"  # the figure as written in the cell and its tooltip: "1.234" or "< 5" (computed in Vega)
    base = (
        alt.Chart(data)
        .transform_calculate(
            **{shown: f"isValid(datum['{value_title}']) ? format(datum['{value_title}'], ',d') : '{formats.HIDDEN}'"}
        )
        .encode(
            y=alt.Y(f"{row_title}:N", sort=kept, title=row_title, axis=alt.Axis(labelLimit=0)),
            x=alt.X(
                f"{column_title}:N",
                sort=across,
                title=None,
                axis=alt.Axis(
                    orient="bottom",
                    labelAngle=0,
                    labelLimit=0,
                    labelOverlap=False,  # every column named, never one in two
                    labelExpr=_wrapped(across, width),
                    labelPadding=6,
                ),
            ),
            tooltip=[
                alt.Tooltip(f"{row_title}:N"),
                alt.Tooltip(f"{column_title}:N"),
                alt.Tooltip(f"{shown}:N", title=value_title),
            ],
        )
    )
    counted = base.transform_filter(f"isValid(datum['{value_title}'])")
    cells = counted.mark_rect().encode(
        color=alt.Color(
            f"{value_title}:Q",
            title=value_title,
            scale=alt.Scale(range=list(HEAT), domainMin=0),
            legend=alt.Legend(orient="right", format=formats.CHART_COUNT, gradientLength=min(90, 30 * len(kept))),
        )
    )
    grey = base.transform_filter(f"!isValid(datum['{value_title}'])").mark_rect(color=WITHHELD)
    most = data[value_title].max()
    dark = f"datum['{value_title}'] > {float(most) / 2 if pd.notna(most) else 0}"  # white on the darker reds
    figures = base.mark_text(fontSize=12).encode(
        text=alt.Text(f"{shown}:N"), color=alt.condition(dark, alt.value("white"), alt.value("#222222"))
    )
    lines = max((len(_wrap(str(label), width)) for label in across), default=1)
    height = 30 * len(kept) + 14 * lines + 70  # the rows, the wrapped labels above them, the legend below
    return alt.layer(cells, grey, figures).properties(height=height)


def _wrap(label: str, width: int) -> list[str]:
    """``label`` in lines of at most ``width`` characters (a word longer than that on its own line)."""
    return textwrap.wrap(label, width, break_long_words=False, break_on_hyphens=False) or [label]


def _wrapped(labels: Sequence[object], width: int) -> str:
    """A Vega expression writing each of ``labels`` on lines of ``width`` characters (a label that is an array of
    lines), so that long labels side by side stay horizontal and whole."""
    table = {str(label): _wrap(str(label), width) for label in labels}
    return f"{json.dumps(table)}[datum.label] || datum.label"

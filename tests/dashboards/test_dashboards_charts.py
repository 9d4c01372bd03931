"""Readable tables and charts: one palette (no red for a main series, the chosen period emphasised and the year
before pale), legends that are never cut short, a heat map that never gives a withheld count away, a click on a
CPAS bar that picks it, and no page drawing an empty table or chart where words should say what is empty."""

from __future__ import annotations

import colorsys
import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pyarrow as pa
from dashboards_fixture import ANALYST, PARTNER_ANALYST
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards.lib import charts, formats, i18n, labels, navigation
from dashboards.lib.charts import title
from dashboards.lib.labels import COLUMNS

MONTHS = [dt.date(2026, m, 1) for m in range(1, 7)]


def _hue(colour: str) -> tuple[float, float]:
    """Hue in degrees and saturation of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, _, saturation = colorsys.rgb_to_hls(r, g, b)
    return hue * 360, saturation


def _reddish(colour: str) -> bool:
    hue, saturation = _hue(colour)
    return saturation > 0.35 and (hue < 20 or hue > 335)


def _colours(spec: object) -> set[str]:
    """Every ``#rrggbb`` a chart's specification names (marks, scales, conditions)."""
    return {value for value in _strings(spec) if value.startswith("#") and len(value) == 7}


def _strings(spec: object):
    if isinstance(spec, dict):
        for value in spec.values():
            yield from _strings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _strings(value)
    elif isinstance(spec, str):
        yield spec


def test_every_column_title_is_a_field_vega_can_read_in_every_language() -> None:
    """A quote ends a string in the expressions Vega writes (French "Type d'aide" drew an empty chart); a dot or a
    bracket reads as a nested field."""
    for lang in i18n.LANGUAGES:
        with i18n.language(lang):
            for column in COLUMNS:
                field = charts.title(column)
                assert not set("'.[]\\\"") & set(field), (lang, column, field)
                assert field.replace("\u2019", "'").replace("\u2024", ".") == labels.title(column).replace("[", "(")


def _monthly_frame() -> pd.DataFrame:
    rows = [
        (month, kind, 10 + i, Decimal("1314.20") * (10 + i))
        for i, month in enumerate(MONTHS)
        for kind in ("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE", "FAMILY_ALLOWANCE_ADVANCE")
    ]
    return pd.DataFrame(rows, columns=["month", "allowance_type", "beneficiaries", "amount"])


def test_the_palette_keeps_red_for_what_is_wrong() -> None:
    assert _reddish(charts.ALERT)
    assert not any(_reddish(colour) for colour in charts.CATEGORIES)
    assert not _reddish(charts.EMPHASIS) and not _reddish(charts.PALE)
    assert len(set(charts.CATEGORIES)) == len(charts.CATEGORIES)
    # The year before is the emphasised colour, pale: the same hue, lighter.
    (emphasis_hue, _), (pale_hue, _) = _hue(charts.EMPHASIS), _hue(charts.PALE)
    assert abs(emphasis_hue - pale_hue) < 15
    assert colorsys.rgb_to_hls(*(int(charts.PALE[i : i + 2], 16) / 255 for i in (1, 3, 5)))[1] > 0.7


def test_main_series_are_never_red_and_alerts_are() -> None:
    frame = _monthly_frame()
    for chart in (
        charts.monthly(frame, "amount", "allowance_type"),
        charts.monthly(frame, "beneficiaries", "allowance_type", kind="line"),
        charts.monthly(frame.groupby("month", as_index=False)["amount"].sum(), "amount"),
        charts.bars(frame, "allowance_type", "amount"),
    ):
        spec = chart.to_dict()
        assert not any(_reddish(c) for c in _colours(spec)), _colours(spec)
    rejections = pd.DataFrame({"rejection_code": ["R01", "R02"], "lines": [3, 7]})
    assert charts.bars(rejections, "rejection_code", "lines", alert=True).to_dict()["mark"]["color"] == charts.ALERT
    daily = pd.DataFrame({"day": MONTHS[:3], "requests": [5, 6, 7], "refusals": [1, 0, 2]})
    scale = charts.daily(daily, ["requests", "refusals"], alert=("refusals",)).to_dict()["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        title("requests"): charts.CATEGORIES[0],
        title("refusals"): charts.ALERT,
    }


def test_each_allowance_type_keeps_its_colour_whatever_the_filters_and_language() -> None:
    frame = _monthly_frame()
    for lang in i18n.LANGUAGES:
        with i18n.language(lang):
            colours = {}
            for kinds in (None, ["EQUIVALENT_LIVING_WAGE", "FAMILY_ALLOWANCE_ADVANCE"], ["LIVING_WAGE"]):
                part = frame if kinds is None else frame[frame["allowance_type"].isin(kinds)]
                scale = charts.monthly(part, "amount", "allowance_type").to_dict()["encoding"]["color"]["scale"]
                for name, colour in zip(scale["domain"], scale["range"], strict=True):
                    assert colours.setdefault(name, colour) == colour, (lang, name)
            assert colours[labels.ALLOWANCE_LABELS["LIVING_WAGE"]] == charts.EMPHASIS  # the main series


def test_the_chosen_period_is_emphasised_and_the_year_before_pale() -> None:
    frame = pd.DataFrame(
        {"month": MONTHS, "amount": [Decimal(100 + m) for m in range(6)], "amount_year_before": [Decimal(90)] * 6}
    )
    color = charts.year_on_year(frame).to_dict()["encoding"]["color"]
    assert color["scale"]["range"] == [charts.EMPHASIS, charts.PALE]
    assert color["legend"]["orient"] == "bottom" and color["legend"]["labelLimit"] == 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=30),
    st.integers(min_value=120, max_value=1200),
)
def test_a_legend_is_under_the_chart_never_cut_and_its_columns_fit(labels: list[str], width: int) -> None:
    legend = charts.legend(labels, width=width).to_dict()
    assert legend["orient"] == "bottom" and legend["labelLimit"] == 0  # no label is ever cut short
    columns = legend["columns"]
    assert 1 <= columns <= len(labels)
    per_entry = 7 * max(len(label) for label in labels) + 30
    assert columns == 1 or columns * per_entry <= width  # several columns only when they fit side by side


def _heatmap_frame(counts: list[int]) -> pd.DataFrame:
    codes = ["R01", "R02", "R03", "R04"]
    rows = [
        (f"02071{i:05d}", f"CPAS {i}", codes[j % len(codes)], count, Decimal(count) * 100)
        for i, count_row in enumerate([counts[k : k + 4] for k in range(0, len(counts), 4)])
        for j, count in enumerate(count_row)
    ]
    return pd.DataFrame(rows, columns=["pcsa_cbe_number", "pcsa_name", "rejection_code", "lines", "amount"])


def _datasets(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=4, max_size=24), st.data())
def test_a_withheld_heat_map_cell_is_grey_and_never_gives_its_count(counts: list[int], data) -> None:
    frame = _heatmap_frame(counts)
    withheld = data.draw(st.sets(st.sampled_from(list(frame.index))))
    hidden = frozenset((index, "lines") for index in withheld)
    spec = charts.heatmap(frame, "pcsa_name", "rejection_reason", "lines", hidden=hidden, order="rejection_code")
    spec = spec.to_dict()
    rows = _datasets(spec)
    assert len(rows) == len(frame)
    line_title = title("lines")
    by_cell = {(row[title("pcsa_name")], row[title("rejection_reason")]): row[line_title] for row in rows}
    for index, row in frame.iterrows():
        shown = by_cell[(row["pcsa_name"], title_of_reason(row["rejection_code"]))]
        assert shown is None if index in withheld else shown == row["lines"]
    assert {title("amount")}.isdisjoint(rows[0])  # only what the map shows: no amount to work a count back from
    text = json.dumps(spec)
    assert formats.HIDDEN in text and charts.WITHHELD in text  # grey, and "< 5" in the cell and its tooltip


def title_of_reason(code: str) -> str:
    from dashboards.lib.labels import REJECTION_LABELS

    return REJECTION_LABELS[code]


def test_a_click_on_a_bar_picks_its_cpas() -> None:
    ranking = pd.DataFrame(
        {"pcsa_cbe_number": ["0207152084", "0207164086"], "pcsa_name": ["Gent", "Namur"], "amount": [2.0, 1.0]}
    )
    spec = charts.bars(ranking, "pcsa_name", "amount", pick="pcsa_cbe_number").to_dict()
    (param,) = spec["params"]
    assert param["name"] == "pick" and param["select"]["fields"] == [title("pcsa_cbe_number")]
    event = {"selection": {"pick": [{title("pcsa_cbe_number"): "0207164086"}]}}
    assert charts.picked(event, "pcsa_cbe_number") == ["0207164086"]
    assert charts.picked({"selection": {"pick": []}}, "pcsa_cbe_number") == []  # a second click empties it
    assert charts.picked(None, "pcsa_cbe_number") == []


def _chart_rows(node) -> int:
    rows = sum(pa.ipc.open_stream(d.data.data).read_all().num_rows for d in node.proto.datasets)
    if node.proto.HasField("data") and node.proto.data.data:
        rows += pa.ipc.open_stream(node.proto.data.data).read_all().num_rows
    return rows


def test_no_page_draws_an_empty_table_or_chart_it_says_so_in_words(signed_in) -> None:
    """Every page, as an SPP IS and a partner analyst, with a filter that leaves nothing (no family allowance
    advance in the fixture): what is empty is said, no grid without rows, no chart without data."""
    for credentials in (ANALYST, PARTNER_ANALYST):
        at = signed_in(credentials)
        at.multiselect(key="filter_allowances").set_value(["FAMILY_ALLOWANCE_ADVANCE"]).run()
        for page in navigation.PAGES:
            if page.personal and credentials == PARTNER_ANALYST:
                continue
            at.switch_page(page.path).run()
            assert not at.exception, (page.path, at.exception)
            empty = [list(f.value.columns)[:3] for f in at.dataframe if f.value.empty]
            assert not empty, (page.path, credentials[0], empty)
            blank = [c for c in at.get("arrow_vega_lite_chart") if _chart_rows(c) == 0]
            assert not blank, (page.path, credentials[0])
            if page.path.endswith(("overview.py", "cpas_explorer.py", "finality.py", "data_quality.py")):
                assert at.info, (page.path, credentials[0])  # the filters left these empty: said in words


def test_wide_tables_keep_their_detail_in_an_expander(signed_in) -> None:
    at = signed_in(ANALYST)
    shown = next(f.value for f in at.dataframe if list(f.value.columns)[:2] == [title("month"), title("beneficiaries")])
    assert title("beneficiaries_year_before") not in shown.columns
    (detail,) = [e for e in at.expander if title("beneficiaries_year_before") in e.label]
    assert title("beneficiaries_year_before") in detail.dataframe[0].value.columns
    # the table in the expander has a download of its own
    assert len(at.download_button) == len(at.dataframe)


def test_a_notifier_with_nothing_due_says_so_rather_than_an_empty_table(signed_in, home) -> None:
    from service.notifications import store

    store.Store(home / "notifications").close()  # a notifier ran, and nothing was due
    at = signed_in(ANALYST)
    at.switch_page("app_pages/notifications.py").run()
    assert not at.exception
    assert not at.dataframe
    assert [i.value for i in at.info] == [i18n.t("notifications.no_subscriber")]


def test_the_widgets_share_the_charts_emphasised_blue_not_streamlits_red() -> None:
    import tomllib
    from pathlib import Path

    config = Path(charts.__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    theme = tomllib.loads(config.read_text())["theme"]
    assert theme["primaryColor"] == charts.EMPHASIS  # the chosen period on the slider reads as in the charts


def test_the_ranking_charts_callback_makes_the_picked_cpas_the_filter() -> None:
    """What Streamlit runs on a click, before the sidebar is drawn (the browser test clicks the bar itself)."""
    from streamlit.testing.v1 import AppTest

    def app() -> None:
        import streamlit as st

        from dashboards.lib import charts, sidebar

        st.session_state.setdefault(sidebar.PCSA_KEY, ["0207152012"])
        picks = st.session_state.get("picks", [])
        if picks:
            field = charts.title("pcsa_cbe_number")
            st.session_state[sidebar.PICK_CHART_KEY] = {"selection": {"pick": [{field: cbe} for cbe in picks]}}
        sidebar.follow_picked_pcsa()
        st.write(st.session_state[sidebar.PCSA_KEY])

    at = AppTest.from_function(app).run()
    assert not at.exception
    assert at.session_state["filter_pcsa"] == ["0207152012"]  # nothing picked: the filter stays
    at.session_state["picks"] = ["0207164086"]
    assert at.run().session_state["filter_pcsa"] == ["0207164086"]
    at.session_state["picks"] = ["0207164086", "0207188040"]  # shift-click: several
    assert at.run().session_state["filter_pcsa"] == ["0207164086", "0207188040"]
    at.session_state["picks"] = []  # a click that empties the pick keeps the filter
    at.session_state["cpas_ranking_chart"] = {"selection": {"pick": []}}
    assert at.run().session_state["filter_pcsa"] == ["0207164086", "0207188040"]

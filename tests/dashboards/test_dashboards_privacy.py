"""Every page of the navigation, rendered for a partner analyst over a fixture full of small cells, shows no count
of 1 to 4 people anywhere: not in a table, a KPI, a chart's data or a line of text; and the same pages show those
counts to an SPP IS analyst, so the check is not blind.

The pages come from the app's navigation (``dashboards.lib.navigation``), so a new page is covered without a
word here. What a page shows is read from the rendered app, never from the query layer: a page that bypassed
``dashboards.lib.viewer`` would be caught. Every number is taken for a count of people unless its column is
declared not to count people (``privacy.NOT_PEOPLE``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pandas as pd
import pyarrow as pa
from dashboards_fixture import ANALYST, APP, BRUXELLES, PARTNER_ANALYST
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import AlertBase, HeadingBase, Markdown, Metric

from dashboards.lib import amounts, formats, i18n, navigation, privacy
from dashboards.lib.auth import PARTNER_ANALYST as PARTNER_ROLE
from dashboards.lib.auth import User
from dashboards.lib.labels import title

MARCH = dt.date(2026, 3, 1)
# Filter states that between them leave a small cell on every page of the fixture that counts people.
STATES = {
    "default selection": {},
    "one month": {"filter_period": (MARCH, MARCH)},
    "equivalent living wage in Brussels": {
        "filter_allowances": ["EQUIVALENT_LIVING_WAGE"],
        "filter_pcsa": [BRUXELLES],
    },
}
# The raw values of each segmented control (AppTest only knows their labels); a new one must be listed here.
CHOICES = {"overview_by": amounts.BREAKDOWNS}
with i18n.language("en"):  # the pages are read in English here (conftest)
    NOT_PEOPLE = {title(column) for column in privacy.NOT_PEOPLE} | {i18n.t(key) for key in privacy.NOT_PEOPLE_KPIS}
# A small number in running text is a count unless it is a delay, a date's part (a day before its month's name,
# in any language of the dashboards) or a number of CPAS chosen.
_MONTH_NAMES = "|".join(
    re.escape(name.rstrip("."))
    for table in (i18n.MONTHS, i18n.MONTHS_SHORT)
    for names in table.values()
    for name in names
)
SMALL_IN_TEXT = re.compile(
    rf"(?<![\w.,:/+\-])[1-4](?![\w.,:/%\-])(?!\s*(?:months?|days?|years?|CPAS|{_MONTH_NAMES})(?!\w))"
)


def small(value: object) -> bool:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return 0 < number < privacy.THRESHOLD


def small_in_frame(frame: pd.DataFrame, where: str) -> Iterator[str]:
    for column in frame.columns:
        if column in NOT_PEOPLE or pd.api.types.is_bool_dtype(frame[column]):
            continue
        values = frame[column].dropna()
        if values.empty or isinstance(values.iloc[0], bool):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        for value in numbers[numbers.map(small)]:
            yield f"{where}, column {column!r}: {value}"


def chart_data(node) -> Iterator[pd.DataFrame]:
    for dataset in node.proto.datasets:
        yield pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    if node.proto.HasField("data") and node.proto.data.data:
        yield pa.ipc.open_stream(node.proto.data.data).read_all().to_pandas()


def small_counts_shown(at: AppTest) -> list[str]:
    """Every count of 1 to 4 people the rendered page shows, said where."""
    found: list[str] = []
    for frame in at.dataframe:
        found += small_in_frame(frame.value, "table " + str(list(frame.value.columns)[:3]))
    for node in [*at.main, *at.sidebar]:
        if isinstance(node, Metric):
            value = node.value.replace(".", "").replace(",", ".")  # Belgian: 1.234,5
            if node.label not in NOT_PEOPLE and re.fullmatch(r"\d+(\.\d+)?", value) and small(value):
                found.append(f"KPI {node.label!r}: {node.value}")
            texts = [node.label, node.help or ""]
        elif isinstance(node, HeadingBase | Markdown | AlertBase):
            texts = [node.value]
        elif getattr(node, "type", "") in ("tab", "expandable"):
            texts = [node.label]
        elif getattr(node, "type", "") in ("vega_lite_chart", "arrow_vega_lite_chart"):
            for data in chart_data(node):
                found += small_in_frame(data, "chart " + str(list(data.columns)[:3]))
            continue
        else:
            continue
        found += [f"text {text!r}" for text in texts if SMALL_IN_TEXT.search(text)]
    return found


def withheld(values: pd.Series) -> pd.Series:
    """Cells left blank, or reading "< 5" (a withheld cell, which the grid paints as such)."""
    return values.isna() | (values.astype(object) == formats.HIDDEN)


def blank_counts(at: AppTest) -> int:
    """How many counts of people the page left blank or showed as "< 5" (some are blank by nature: no year before).
    An amount withheld because a total minus it would give a small cell back is not one of them."""
    cells = sum(
        int(withheld(frame.value[column]).sum())
        for frame in at.dataframe
        for column in frame.value.columns
        if column not in NOT_PEOPLE
    )
    return cells + sum(metric.value == "< 5" for metric in at.metric)


def renderings(
    sign_in: Callable[..., AppTest], credentials: tuple[str, str], role: str
) -> Iterator[tuple[str, AppTest]]:
    """Each page of ``role``'s navigation, in each filter state and each choice of its segmented controls."""
    pages = navigation.pages_for(User("someone", role, None))
    for state, widgets in STATES.items():
        at = sign_in(credentials)  # afresh: the filters outlive the page and the run
        for key, value in widgets.items():
            widget = at.select_slider(key=key) if key == "filter_period" else at.multiselect(key=key)
            widget.set_value(value)
        for page in pages:
            at.switch_page(page.path).run()
            assert not at.exception, (page.path, state, at.exception)
            assert at.title[0].value == page.title
            yield f"{page.title}, {state}", at
            for control in at.button_group:
                assert control.key in CHOICES, f"{page.path}: list the values of segmented control {control.key!r}"
                for choice in CHOICES[control.key]:
                    at.button_group(key=control.key).set_value(choice).run()
                    assert not at.exception, (page.path, state, choice, at.exception)
                    yield f"{page.title}, {state}, {control.key}={choice}", at


def test_no_page_shows_a_partner_analyst_a_count_of_one_to_four_people(signed_in) -> None:
    found = [
        f"{where}: {what}"
        for where, shown in renderings(signed_in, PARTNER_ANALYST, PARTNER_ROLE)
        for what in small_counts_shown(shown)
    ]
    assert not found, "\n".join(found)


def test_the_same_pages_show_an_analyst_the_small_counts_a_partner_does_not_see(signed_in) -> None:
    partner = [(where, blank_counts(shown)) for where, shown in renderings(signed_in, PARTNER_ANALYST, PARTNER_ROLE)]
    analyst = [
        (where, blank_counts(shown), small_counts_shown(shown))
        for where, shown in renderings(signed_in, ANALYST, PARTNER_ROLE)  # the partner's pages
    ]
    assert [where for where, _ in partner] == [where for where, _, _ in analyst]
    withheld = {where for (where, hidden), (_, natural, _) in zip(partner, analyst, strict=True) if hidden > natural}
    assert {where.split(",")[0] for where in withheld} >= {"Overview", "CPAS explorer", "Finality", "Data quality"}
    seen = {where for where, _, small_counts in analyst if small_counts}
    assert withheld <= seen, sorted(withheld - seen)


def test_every_page_file_is_in_the_navigation_or_shown_before_sign_in() -> None:
    """So that the page tests, which follow the navigation, cannot miss a page."""
    files = {p.relative_to(APP.parent).as_posix() for p in (APP.parent / "app_pages").glob("*.py")}
    declared = {page.path for page in (*navigation.PAGES, navigation.SIGN_IN, navigation.NO_SNAPSHOT)}
    assert files == declared
    partner = User("p", PARTNER_ROLE, None)
    assert [p.title for p in navigation.pages_for(partner)] == [p.title for p in navigation.PAGES if not p.personal]


def test_a_months_total_minus_its_visible_parts_gives_no_small_count_back(signed_in) -> None:
    """The Overview shows each month's beneficiaries (year on year) beside their breakdown: the difference between
    the total and the parts left visible must not be a count of 1 to 4 (complementary suppression)."""
    at = signed_in(PARTNER_ANALYST)
    for dimension in amounts.BREAKDOWNS:
        at.segmented_control(key="overview_by").set_value(dimension).run()
        parts = next(f.value for f in at.dataframe if list(f.value.columns)[:2] == ["Month", title(dimension)])
        totals = next(f.value for f in at.dataframe if "Beneficiaries a year before" in f.value.columns)
        visible = pd.to_numeric(parts["Beneficiaries"], errors="coerce").groupby(parts["Month"]).sum()
        shown_totals = pd.to_numeric(totals["Beneficiaries"], errors="coerce")  # a withheld total reads "< 5"
        for month, total in zip(totals["Month"], shown_totals, strict=True):
            assert not small(total - visible.get(month, 0)), (dimension, month, total, visible.get(month))
    assert withheld(parts["Beneficiaries"]).any()  # the fixture has small cells in this breakdown


def test_the_amount_paid_minus_its_final_part_gives_no_small_cell_back(signed_in) -> None:
    """Gent, March 2026: 30 beneficiaries FINAL, 2 CONSOLIDATING. The amount paid stays; its final part would give
    the two people's amount back, so a partner analyst does not see it (nor the Finality page's parts)."""
    for credentials, final in ((ANALYST, "39.426,00 €"), (PARTNER_ANALYST, "suppressed")):
        at = signed_in(credentials)
        at.multiselect(key="filter_regions").set_value(["FLANDERS"])
        at.select_slider(key="filter_period").set_value((MARCH, MARCH)).run()
        shown = {metric.label: metric.value for metric in at.metric}
        assert (shown["Amount paid"], shown["of which final"]) == ("42.054,40 €", final)
        at.switch_page("app_pages/finality.py").run()
        shown = {metric.label: metric.value for metric in at.metric}
        if credentials == PARTNER_ANALYST:
            assert (shown["Final"], shown["Consolidating"]) == ("suppressed", "suppressed")

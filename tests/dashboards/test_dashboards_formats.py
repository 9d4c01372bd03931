"""Belgian number formats (one module for tiles, tables, charts and CSV), withheld cells that say so, the sidebar's
publication and next refresh, and links that keep the page and the filters."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re

import pandas as pd
import pyarrow as pa
from dashboards_fixture import ANALYST, APP, BRUXELLES, PARTNER_ANALYST
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboards.lib import formats, sidebar
from kernel.calendar import BRUSSELS

AMOUNTS = st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


@given(AMOUNTS)
def test_an_amount_reads_with_thousands_points_a_decimal_comma_and_the_euro_after(amount: decimal.Decimal) -> None:
    shown = formats.euros(amount)
    assert re.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d{2} €", shown), shown
    assert decimal.Decimal(shown.removesuffix(" €").replace(".", "").replace(",", ".")) == amount


@given(st.integers(min_value=0, max_value=10**12))
def test_a_count_groups_thousands_with_points(value: int) -> None:
    shown = formats.count(value)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", shown) and int(shown.replace(".", "")) == value


def test_the_formats_of_the_brief() -> None:
    assert formats.euros(decimal.Decimal("1234.56")) == "1.234,56 €"
    assert formats.percent(0.127) == "12,7 %"
    assert formats.count(1234) == "1.234"
    assert formats.euros(None) == formats.count(float("nan")) == formats.NOTHING
    assert formats.CHART_LOCALE["number"]["decimal"] == "," and formats.CHART_LOCALE["number"]["thousands"] == "."


NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


@given(st.lists(st.tuples(NAMES, AMOUNTS, st.integers(0, 10**6)), min_size=1, max_size=6))
def test_a_csv_opens_in_a_belgian_excel_and_gives_the_exact_values_back(rows) -> None:
    frame = pd.DataFrame(rows, columns=["CPAS", "Amount (EUR)", "Beneficiaries"])
    data = formats.csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with its byte-order mark
    header, *lines = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";")
    assert header == ["CPAS", "Amount (EUR)", "Beneficiaries"]
    assert [line[0] for line in lines] == [name for name, _, _ in rows]
    assert [decimal.Decimal(line[1].replace(",", ".")) for line in lines] == [a for _, a, _ in rows]
    assert [int(line[2]) for line in lines] == [n for _, _, n in rows]


def test_a_withheld_csv_cell_reads_less_than_five() -> None:
    frame = pd.DataFrame({"Region": ["Flanders", "Brussels"], "Beneficiaries": [30, None]})
    lines = formats.csv(frame, frozenset({(1, "Beneficiaries")})).decode("utf-8-sig").splitlines()
    assert lines == ["Region;Beneficiaries", "Flanders;30", "Brussels;< 5"]


@given(st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2040, 12, 31), timezones=st.just(dt.UTC)))
def test_the_next_refresh_is_the_next_first_saturday_at_six_in_brussels(now: dt.datetime) -> None:
    coming = sidebar.next_refresh(now)
    assert coming > now and coming.tzinfo is BRUSSELS
    assert coming.weekday() == 5 and coming.day <= 7 and (coming.hour, coming.minute) == (6, 0)
    assert coming - now <= dt.timedelta(days=36)  # none skipped: the one before is not after now
    earlier_month = (coming.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    earlier = sidebar.next_refresh(dt.datetime.combine(earlier_month, dt.time(0), tzinfo=BRUSSELS))
    assert earlier <= now or earlier == coming


def test_the_next_refresh_of_the_issue_and_the_time_of_publication() -> None:
    assert sidebar.next_refresh(dt.datetime(2026, 12, 6, 13, 0, tzinfo=dt.UTC)) == dt.datetime(
        2027, 1, 2, 6, 0, tzinfo=BRUSSELS
    )
    assert sidebar.next_refresh(dt.datetime(2026, 12, 5, 4, 59, tzinfo=dt.UTC)).date() == dt.date(2026, 12, 5)
    assert sidebar.published_at("20261127T233000123456Z-R2026-11-07") == dt.datetime(
        2026, 11, 28, 0, 30, 0, 123456, tzinfo=BRUSSELS
    )
    assert sidebar.published_at("not-an-id") is None


def _display(table) -> pd.DataFrame:
    """What the table's cells read in the browser (the formatted values Streamlit sends beside the data)."""
    return pa.ipc.open_stream(table.proto.arrow_data.styler.display_values).read_all().to_pandas()


def test_tables_kpis_and_sidebar_read_belgian_and_say_when(signed_in) -> None:
    at = signed_in(ANALYST)
    assert {m.label: m.value for m in at.metric}["Amount paid"] == "1.458.761,88 €"
    shown = _display(at.dataframe[0])
    amounts = shown["Amount (EUR)"]
    assert amounts.str.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2} €").all(), list(amounts)
    assert shown["Month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert not any((_display(t) == formats.HIDDEN).any().any() for t in at.dataframe)  # nothing withheld
    box = at.sidebar.markdown[0].value
    assert "payments accepted up to" in box and "published" in box and "next scheduled refresh Saturday" in box


def test_a_partner_analyst_reads_less_than_five_with_a_footnote_never_an_empty_cell(signed_in) -> None:
    at = signed_in(PARTNER_ANALYST)
    at.multiselect(key="filter_pcsa").set_value([BRUXELLES])
    at.multiselect(key="filter_allowances").set_value(["EQUIVALENT_LIVING_WAGE"])
    at.select_slider(key="filter_period").set_value((dt.date(2026, 3, 1), dt.date(2026, 3, 1))).run()
    withheld = 0
    for table in at.dataframe:
        data, shown = table.value, _display(table)
        hidden = shown == formats.HIDDEN
        withheld += int(hidden.to_numpy().sum())
        assert not shown.isin(["", "None", "nan", "<NA>"]).any().any(), shown
        assert (data[hidden] == formats.HIDDEN).sum().sum() == hidden.to_numpy().sum()  # the grid paints the data
    assert withheld > 0
    assert formats.footnote() in [c.value for c in at.caption]
    kpis = {m.label: m for m in at.metric}
    assert kpis["Beneficiary-months"].value == formats.HIDDEN
    assert kpis["Beneficiary-months"].help == formats.footnote()


def _query(at: AppTest) -> dict[str, list[str]]:
    return {key: value if isinstance(value, list) else [value] for key, value in at.query_params.items()}


def _opened(link: dict[str, object], credentials: tuple[str, str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in link.items():
        at.query_params[key] = value
    at.run()
    at.text_input(key="login_username").input(credentials[0])
    at.text_input(key="login_password").input(credentials[1])
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_a_link_opens_its_page_and_filters_after_the_sign_in_and_the_url_follows_the_view(signed_in) -> None:
    at = _opened({"page": "finality", "from": "2026-01", "to": "2026-03", "region": ["FLANDERS"]}, ANALYST)
    assert at.title[0].value == "Finality"
    assert at.select_slider(key="filter_period").value == (dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    assert at.multiselect(key="filter_regions").value == ["FLANDERS"]
    at.multiselect(key="filter_allowances").set_value(["LIVING_WAGE"]).run()
    assert _query(at) == {
        "page": ["finality"],
        "from": ["2026-01"],
        "to": ["2026-03"],
        "region": ["FLANDERS"],
        "allowance": ["LIVING_WAGE"],
        "lang": ["en"],  # the language of the screen (the tests' default), so that a link keeps it
    }
    at.switch_page("app_pages/data_quality.py").run()
    assert at.title[0].value == "Data quality" and _query(at)["page"] == ["data_quality"]
    assert at.multiselect(key="filter_regions").value == ["FLANDERS"]  # the link is taken once, then the view rules


def test_a_link_asks_nothing_it_may_not_have(signed_in) -> None:
    at = _opened({"page": "person_lookup", "from": "1999-01", "to": "2026-03", "region": ["ATLANTIS"]}, PARTNER_ANALYST)
    assert at.title[0].value == "Overview"  # no person lookup for a partner analyst, whatever the link says
    assert at.multiselect(key="filter_regions").value == []
    assert at.select_slider(key="filter_period").value[1] == dt.date(2026, 6, 1)  # the default period

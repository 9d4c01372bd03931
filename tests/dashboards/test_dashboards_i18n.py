"""The dashboards' catalogue of texts: every key in French, Dutch and English with the same placeholders, the
language chosen through the URL, and dates written in the language's own words."""

from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST, APP, GENT, NAMUR, PARTNER_ANALYST
from hypothesis import example, given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboards.lib import formats, i18n, navigation
from dashboards.lib.labels import title


@pytest.fixture
def _english_by_default() -> None:
    """Here the default stays the dashboards' own (French): this overrides conftest's English."""


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(i18n.CATALOGUE))
def test_every_text_is_in_the_three_languages_with_the_same_placeholders(key: str) -> None:
    texts = i18n.CATALOGUE[key]
    assert set(texts) == set(i18n.LANGUAGES), key
    assert all(texts[lang].strip() for lang in i18n.LANGUAGES), key
    assert _placeholders(texts["fr"]) == _placeholders(texts["nl"]) == _placeholders(texts["en"]), key


def test_the_default_language_is_french_outside_a_session() -> None:
    assert i18n.current_language() == "fr"
    assert i18n.t("nav.overview") == "Vue d'ensemble"


def test_a_forced_language_is_used_and_an_unknown_one_refused() -> None:
    with i18n.language("nl"):
        assert i18n.t("nav.overview") == "Overzicht"
    assert i18n.current_language() == "fr"
    with pytest.raises(ValueError, match="unknown language 'de'"), i18n.language("de"):
        pass


def test_an_unknown_key_names_the_catalogue() -> None:
    with pytest.raises(KeyError, match=r"no text 'no\.such\.key'"):
        i18n.t("no.such.key")


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)), st.sampled_from(i18n.LANGUAGES))
def test_dates_use_the_catalogues_month_and_day_names(day: dt.date, lang: str) -> None:
    with i18n.language(lang):
        assert i18n.month_long(day) == f"{i18n.MONTHS[lang][day.month - 1]} {day.year}"
        assert i18n.date_long(day) == f"{day.day} {i18n.MONTHS[lang][day.month - 1]} {day.year}"
        assert i18n.month_label(day).endswith(str(day.year))
        moment = dt.datetime.combine(day, dt.time(6, 0))
        assert i18n.weekday_datetime(moment).startswith(i18n.WEEKDAYS[lang][day.weekday()] + " ")
        assert i18n.weekday_datetime(moment).endswith(", 06:00")


def test_the_month_names_are_distinct_and_twelve_in_each_language() -> None:
    for table in (i18n.MONTHS, i18n.MONTHS_SHORT):
        for lang in i18n.LANGUAGES:
            assert len(set(table[lang])) == 12, lang


# -- the app in each language (AppTest, the fixture snapshot)


def _opened(lang: str | None, credentials: tuple[str, str] = ANALYST) -> AppTest:
    """The app signed in, opened with ``?lang=`` (None: no language in the URL)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if lang is not None:
        at.query_params[i18n.QUERY_KEY] = lang
    at.run()
    at.text_input(key="login_username").input(credentials[0])
    at.text_input(key="login_password").input(credentials[1])
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> list[str]:
    """Every piece of text of the page and its sidebar (titles, captions, labels, alerts)."""
    found: list[str] = []
    for node in [*at.main, *at.sidebar]:
        for attribute in ("value", "label", "help", "placeholder"):
            text = getattr(node, attribute, None)
            if isinstance(text, str):
                found.append(text)
    return found


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_page_renders_in_each_language_under_its_own_title(home: Path, lang: str) -> None:
    at = _opened(lang)
    with i18n.language(lang):
        titles = {page.path: page.title for page in navigation.PAGES}
        overview = i18n.t("nav.overview")
    assert at.title[0].value == overview
    for path, heading in titles.items():
        at.switch_page(path).run()
        assert not at.exception, (lang, path, at.exception)
        assert at.title[0].value == heading, (lang, path)
        assert len(at.download_button) == len(at.dataframe), (lang, path)
    assert at.query_params[i18n.QUERY_KEY] in (lang, [lang])


def test_without_a_language_in_the_url_the_dashboards_open_in_french(home: Path) -> None:
    at = _opened(None)
    assert at.title[0].value == "Vue d'ensemble"
    assert at.selectbox(key=i18n.LANG_KEY).value == "fr"
    texts = _texts(at)
    assert "Filtres" in [h.value for h in at.sidebar.subheader]
    assert any(text.startswith("Montant payé") for text in texts), texts
    # a link keeps the language: the URL now says it
    assert at.query_params[i18n.QUERY_KEY] in ("fr", ["fr"])


def test_before_the_first_publication_the_app_says_what_to_do_in_the_language_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LWW_HOME", str(tmp_path))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params[i18n.QUERY_KEY] = "nl"
    at.run()
    assert not at.exception, at.exception
    assert at.info[0].value.startswith("Nog geen gepubliceerde momentopname. Voer `lww refresh`")
    at.selectbox(key=i18n.LANG_KEY).select("fr").run()
    assert at.info[0].value.startswith("Aucun instantané publié pour l'instant. Lancez `lww refresh`")


def test_an_unknown_language_in_the_url_falls_back_to_french(home: Path) -> None:
    at = _opened("de")
    assert at.title[0].value == "Vue d'ensemble"


def test_choosing_nederlands_in_the_sidebar_turns_the_page_and_the_url_dutch(home: Path) -> None:
    at = _opened("fr")
    assert at.title[0].value == "Vue d'ensemble"
    at.selectbox(key=i18n.LANG_KEY).select("nl").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Overzicht"
    assert at.query_params[i18n.QUERY_KEY] in ("nl", ["nl"])
    labels = {metric.label for metric in at.metric}
    assert {"Betaald bedrag", "Begunstigdenmaanden"} <= labels, labels
    assert at.sidebar.multiselect[0].label == "Gewest"
    assert "Vlaams Gewest" in at.sidebar.multiselect[0].options
    # the table's headers and the codes in it are Dutch too
    headers = [list(frame.value.columns) for frame in at.dataframe]
    assert ["Maand", "Soort steun", "Begunstigden", "Bedrag (EUR)"] in headers, headers
    kinds = set(next(frame.value for frame in at.dataframe if "Soort steun" in frame.value.columns)["Soort steun"])
    assert "Leefloon" in kinds, kinds
    # the selection in words under the title: one CPAS, in Dutch grammar
    at.multiselect(key="filter_pcsa").set_value([GENT]).run()
    assert "· 1 OCMW ·" in at.caption[0].value, at.caption[0].value
    at.multiselect(key="filter_pcsa").set_value([GENT, NAMUR]).run()
    assert "· 2 OCMW's ·" in at.caption[0].value, at.caption[0].value
    # moving to another page keeps the language
    at.switch_page("app_pages/finality.py").run()
    assert at.title[0].value == "Finaliteit"
    assert {"Definitief", "Voorlopig", "In consolidatie"} <= {metric.label for metric in at.metric}


def test_signing_out_keeps_the_language_of_the_screen(home: Path) -> None:
    at = _opened("nl")
    next(b for b in at.sidebar.button if b.label == "Afmelden").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Leefloon – bedragen"  # the sign-in page, in Dutch
    assert at.button[0].label == "Aanmelden"


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("fr", {"Gand", "Namur", "Bruxelles"}),
        ("nl", {"Gent", "Namen", "Brussel"}),
        ("en", {"Gent", "Namur", "Bruxelles / Brussel"}),
    ],
)
def test_cpas_names_follow_the_language(home: Path, lang: str, names: set[str]) -> None:
    at = _opened(lang)
    at.switch_page("app_pages/cpas_explorer.py").run()
    assert not at.exception, at.exception
    with i18n.language(lang):
        cpas = i18n.t("col.pcsa_name")
    ranking = next(frame.value for frame in at.dataframe if cpas in frame.value.columns)
    assert set(ranking[cpas]) == names
    picker = next(m for m in at.sidebar.multiselect if m.label == i18n.CATALOGUE["sidebar.cpas"][lang])
    assert {option.rsplit(" (", 1)[0] for option in picker.options} == names  # "Gand (0207152045)"


def test_a_partner_reads_the_footnote_of_hidden_cells_in_dutch(home: Path) -> None:
    at = _opened("nl", PARTNER_ANALYST)
    at.switch_page("app_pages/overview.py").run()
    captions = [caption.value for caption in at.caption]
    with i18n.language("nl"):
        assert formats.footnote() in captions, captions
    assert formats.footnote().startswith("< 5 : ")  # French outside a run


@given(st.sampled_from(formats.PERCENT_COLUMNS), st.sampled_from(i18n.LANGUAGES))
def test_a_share_is_a_percentage_in_every_language(column: str, lang: str) -> None:
    import pandas as pd

    with i18n.language(lang):
        kind = formats.kind(title(column), pd.Series([0.127]))
    assert kind is not None and kind(0.127) == "12,7 %"


@given(st.sampled_from(sorted(k.removeprefix("col.") for k in i18n.CATALOGUE if k.startswith("col."))))
def test_an_amount_column_is_in_euros_in_every_language_or_in_none(column: str) -> None:
    marked = {lang: "(EUR)" in i18n.CATALOGUE[f"col.{column}"][lang] for lang in i18n.LANGUAGES}
    assert len(set(marked.values())) == 1, (column, marked)


def test_the_chart_locale_names_the_months_of_the_language() -> None:
    with i18n.language("nl"):
        locale = formats.chart_locale()
    assert locale["number"] == formats.CHART_LOCALE["number"]
    assert locale["time"]["months"][2] == "maart"
    assert locale["time"]["days"][0] == "zondag"  # d3's weeks begin on Sunday


def test_every_text_the_code_asks_for_is_in_the_catalogue() -> None:
    """A key written in the code (``t("…")``) but missing from the catalogue would break its page at run time."""
    root = Path(__file__).resolve().parents[2] / "dashboards"
    asked = {
        (path.relative_to(root).as_posix(), key)
        for path in root.rglob("*.py")
        for key in re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[A-Za-z0-9_]+)+)["']""", path.read_text(encoding="utf-8"))
    }
    assert len(asked) > 100  # the scan finds the pages' texts
    assert not {(where, key) for where, key in asked if key not in i18n.CATALOGUE}


def _all_texts(at: AppTest) -> set[str]:
    """What a reader of the page sees in words: titles, captions, labels, alerts, tabs, expanders, table headers."""
    texts = set(_texts(at))
    for node in at.main:
        texts |= {str(column) for column in getattr(getattr(node, "value", None), "columns", [])}
    for kind in ("tabs", "expander"):
        texts |= {getattr(node, "label", "") for node in getattr(at, kind, [])}
    return texts


# Identical in French and English by nature: names, codes, and words both languages share.
SAME_IN_FRENCH_AND_ENGLISH = {"Consultations", "Notifications", "Institution", "CPAS", i18n.PICKER_LABEL}


@pytest.mark.parametrize("credentials", [ANALYST, PARTNER_ANALYST], ids=["analyst", "partner"])
def test_no_page_is_half_translated(home: Path, credentials: tuple[str, str]) -> None:
    """Every page read in French and in English: a text (with a word of four letters or more) that reads the same
    in both was left untranslated, unless it is a name, a code or a figure."""
    texts: dict[str, dict[str, set[str]]] = {}
    for lang in ("fr", "en"):
        at = _opened(lang, credentials)
        for page in navigation.PAGES:
            if page.personal and credentials == PARTNER_ANALYST:
                continue  # not registered for partners
            at.switch_page(page.path).run()
            assert not at.exception, (lang, page.path, at.exception)
            texts.setdefault(page.path, {})[lang] = _all_texts(at)
    untranslated = {
        (path, text)
        for path, both in texts.items()
        for text in both["fr"] & both["en"]
        if re.search(r"[A-Za-z]{4,}", re.sub(r"`[^`]*`", "", text))
        and text not in SAME_IN_FRENCH_AND_ENGLISH
        and not re.fullmatch(r"[a-z_]+", text)  # a widget's raw value (a code), not a text
    }
    assert not untranslated


@given(st.text(alphabet="0123456789", min_size=1, max_size=13), st.sampled_from(i18n.LANGUAGES))
@example("123", "fr")
@example("85073000011", "nl")  # serial 000
@example("85073003327", "fr")  # check digits
def test_every_reason_an_ssin_is_refused_is_worded_in_each_language(typed: str, lang: str) -> None:
    from dashboards.lib.labels import SSIN_PROBLEMS
    from kernel.identifiers import ssin_error

    problem = ssin_error(typed)
    if problem is not None:
        assert problem in SSIN_PROBLEMS, problem  # a new reason of the kernel needs its words here
        with i18n.language(lang):
            worded = SSIN_PROBLEMS[problem]
        assert (worded == problem) is (lang == "en"), (lang, worded)

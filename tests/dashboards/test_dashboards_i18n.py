"""The dashboards' catalogue of texts: every key in French, Dutch and English with the same placeholders, the
language chosen through the URL, and dates written in the language's own words."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards.lib import i18n


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

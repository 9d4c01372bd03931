"""The dashboards in French, Dutch and English: one catalogue, the language chosen in the sidebar and kept in the
URL (``?lang=nl``) and in the session, so that a reload and a shared link open in the same language.

Every string a page shows goes through :func:`t` with a key of :data:`CATALOGUE` (key -> text per language, the
same ``{placeholders}`` in each). Dates are written with the month and day names below, never with the machine's
locale; numbers stay Belgian in every language (:mod:`dashboards.lib.formats`). French is the default.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

import streamlit as st

LANGUAGES = ("fr", "nl", "en")
DEFAULT = "fr"
NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}
PICKER_LABEL = "Langue · Taal · Language"
LANG_KEY = "lww_lang"  # session state: the language chosen (the sidebar's widget key)
QUERY_KEY = "lang"  # the URL's query parameter

_forced: contextvars.ContextVar[str | None] = contextvars.ContextVar("lww_language", default=None)

MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
MONTHS_SHORT = {
    "fr": (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ),
    "nl": ("jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
WEEKDAYS = {  # Monday first, as date.weekday()
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

# key -> {"fr": …, "nl": …, "en": …}; the same {placeholders} in the three (tests/dashboards check it).
CATALOGUE: dict[str, dict[str, str]] = {
    # -- the page (browser tab) and the navigation
    "app.title": {
        "fr": "Revenu d'intégration – montants",
        "nl": "Leefloon – bedragen",
        "en": "Living wages – amounts",
    },
    "nav.section.amounts": {"fr": "Montants", "nl": "Bedragen", "en": "Amounts"},
    "nav.section.operations": {"fr": "Exploitation", "nl": "Beheer", "en": "Operations"},
    "nav.section.personal": {"fr": "Données personnelles", "nl": "Persoonsgegevens", "en": "Personal data"},
    "nav.overview": {"fr": "Vue d'ensemble", "nl": "Overzicht", "en": "Overview"},
    "nav.cpas_explorer": {"fr": "Explorateur CPAS", "nl": "OCMW-verkenner", "en": "CPAS explorer"},
    "nav.finality": {"fr": "Finalité", "nl": "Finaliteit", "en": "Finality"},
    "nav.data_quality": {"fr": "Qualité des données", "nl": "Datakwaliteit", "en": "Data quality"},
    "nav.consultations": {"fr": "Consultations", "nl": "Raadplegingen", "en": "Consultations"},
    "nav.notifications": {"fr": "Notifications", "nl": "Notificaties", "en": "Notifications"},
    "nav.extracts": {"fr": "Extraits", "nl": "Extracten", "en": "Extracts"},
    "nav.person_lookup": {"fr": "Recherche de personne", "nl": "Persoon opzoeken", "en": "Person lookup"},
    "nav.sign_in": {"fr": "Connexion", "nl": "Aanmelden", "en": "Sign in"},
    "nav.no_snapshot": {"fr": "Pas encore de données", "nl": "Nog geen gegevens", "en": "No data yet"},
}


def _valid(value: object) -> str | None:
    return value if isinstance(value, str) and value in LANGUAGES else None


def current_language() -> str:
    """The language of this run: the one chosen in the session, else the URL's ``?lang=``, else French."""
    forced = _forced.get()
    if forced is not None:
        return forced
    with contextlib.suppress(Exception):  # outside a Streamlit run: no session, no URL
        chosen = _valid(st.session_state.get(LANG_KEY))
        if chosen is not None:
            return chosen
        asked = _valid(st.query_params.get(QUERY_KEY))
        if asked is not None:
            return asked
    return DEFAULT


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Use ``lang`` in this block whatever the session says (for code run outside the dashboards, and tests)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    token = _forced.set(lang)
    try:
        yield
    finally:
        _forced.reset(token)


def t(key: str, **values: object) -> str:
    """The text of ``key`` in the current language, with ``values`` put in its placeholders."""
    try:
        text = CATALOGUE[key][current_language()]
    except KeyError:
        raise KeyError(f"no text {key!r} in dashboards/lib/i18n.py CATALOGUE") from None
    return text.format(**values) if values else text


def picker() -> str:
    """The language choice in the sidebar (labelled in the three languages); the choice stays in the session and
    goes into the URL. Returns the language chosen."""
    state = st.session_state
    if _valid(state.get(LANG_KEY)) is None:
        state[LANG_KEY] = current_language()  # the URL's, or the default
    chosen = st.sidebar.selectbox(PICKER_LABEL, options=LANGUAGES, key=LANG_KEY, format_func=NAMES.get)
    if st.query_params.get(QUERY_KEY) != chosen:
        st.query_params[QUERY_KEY] = chosen
    return chosen


# -- dates, in the words of the language (never the machine's locale)


def month_label(month: dt.date) -> str:
    """``janv. 2026`` / ``jan. 2026`` / ``Jan 2026``."""
    return f"{MONTHS_SHORT[current_language()][month.month - 1]} {month.year}"


def month_long(month: dt.date) -> str:
    """``janvier 2026`` / ``januari 2026`` / ``January 2026``."""
    return f"{MONTHS[current_language()][month.month - 1]} {month.year}"


def date_long(day: dt.date) -> str:
    """``7 janvier 2026`` / ``7 januari 2026`` / ``7 January 2026``."""
    return f"{day.day} {MONTHS[current_language()][day.month - 1]} {day.year}"


def date_short(day: dt.date) -> str:
    """``7 janv. 2026`` / ``7 jan. 2026`` / ``7 Jan 2026``."""
    return f"{day.day} {MONTHS_SHORT[current_language()][day.month - 1]} {day.year}"


def datetime_long(moment: dt.datetime) -> str:
    """``7 janvier 2026, 06:00``."""
    return f"{date_long(moment.date())}, {moment:%H:%M}"


def weekday_datetime(moment: dt.datetime) -> str:
    """``samedi 2 janvier 2027, 06:00`` / ``zaterdag 2 januari 2027, 06:00`` / ``Saturday 2 January 2027, 06:00``."""
    return f"{WEEKDAYS[current_language()][moment.weekday()]} {datetime_long(moment)}"

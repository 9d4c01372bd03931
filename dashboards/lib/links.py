"""Links that keep the view: the page, the filters and the language in the URL's query (``?page=finality
&from=2025-07&to=2026-06&region=FLANDERS&cpas=0212345678&allowance=LIVING_WAGE&lang=nl``), so that a reload,
a bookmark or a link sent to a colleague opens the same view. The colleague still signs in: a link carries no
credential, and what it asks for is cut by the viewer as anything else (a partner analyst's link to the person
lookup opens the overview).

The query is read once per browser session, on its first run (before the sign-in, which it survives), then
written back at every run from what is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import streamlit as st

from dashboards.lib import i18n
from dashboards.lib.filters import Filters
from kernel.calendar import parse_month
from kernel.codes import ALLOWANCE_TYPES, REGIONS

REQUEST_KEY = "lww_link_request"  # session state: what the session's first URL asked for
PAGE, FROM, TO, REGION, CPAS, ALLOWANCE = "page", "from", "to", "region", "cpas", "allowance"


def remember_request() -> None:
    """Keep what the URL of the session's first run asks for (the sign-in page comes in between)."""
    if REQUEST_KEY not in st.session_state:
        st.session_state[REQUEST_KEY] = {key: st.query_params.get_all(key) for key in st.query_params}


def _request() -> dict[str, list[str]]:
    """What is left to take of the first URL's request (each part is taken once)."""
    request = st.session_state.get(REQUEST_KEY)
    if not isinstance(request, dict):
        request = st.session_state[REQUEST_KEY] = {}
    return request


def requested_filters(months: Sequence[dt.date]) -> dict[str, object]:
    """The filters the first URL asked for, once ({} afterwards), and only what is valid of them: a period of
    published months, known regions and allowance types (a CPAS not in the chosen regions drops out later)."""
    request = _request()
    taken = {key: request.pop(key) for key in (FROM, TO, REGION, CPAS, ALLOWANCE) if key in request}
    chosen: dict[str, object] = {}
    try:
        period = (parse_month(taken[FROM][0]), parse_month(taken[TO][0]))
    except (KeyError, IndexError, ValueError):
        period = None
    if period is not None and period[0] <= period[1] and all(m in months for m in period):
        chosen[FROM], chosen[TO] = period
    if REGION in taken:
        chosen[REGION] = [r for r in taken[REGION] if r in REGIONS]
    if ALLOWANCE in taken:
        chosen[ALLOWANCE] = [a for a in taken[ALLOWANCE] if a in ALLOWANCE_TYPES]
    if CPAS in taken:
        chosen[CPAS] = [c for c in taken[CPAS] if c.isdigit()]
    return chosen


def requested_page(pages: Mapping[str, object]) -> object | None:
    """The page (of ``pages``, by URL path) the first URL asked for, once; None when none or not one of them."""
    request = _request()
    wanted = request.pop(PAGE, [])
    return pages.get(wanted[0]) if wanted else None


def write(page: str, selection: Filters) -> None:
    """Put the view shown into the URL (the address bar follows without a reload)."""
    query: dict[str, list[str]] = {PAGE: [page]} if page else {}  # the default page is the root URL
    query |= {FROM: [f"{selection.month_from:%Y-%m}"], TO: [f"{selection.month_to:%Y-%m}"]}
    query[i18n.QUERY_KEY] = [i18n.current_language()]
    for key, values in ((REGION, selection.regions), (CPAS, selection.pcsa), (ALLOWANCE, selection.allowances)):
        if values:
            query[key] = list(values)
    if {key: st.query_params.get_all(key) for key in st.query_params} != query:
        st.query_params.from_dict(query)

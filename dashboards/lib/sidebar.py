"""The sidebar every page shares: which snapshot is shown, who is signed in, and the filters.

The filters are widgets of the entry point, so they are drawn on every page and keep their values when the
analyst moves between pages. A copy of the last selection is also kept under a plain session key, so that a
widget rebuilt with other options (a new snapshot, another region) starts from the previous choice.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboards.lib import amounts, session
from dashboards.lib.auth import User
from dashboards.lib.filters import Filters
from dashboards.lib.labels import ALLOWANCE_LABELS, REGION_LABELS
from dashboards.lib.snapshot import SnapshotRef
from kernel.calendar import month_start
from kernel.codes import ALLOWANCE_TYPES, REGIONS

PERIOD_KEY = "filter_period"
REGIONS_KEY = "filter_regions"
PCSA_KEY = "filter_pcsa"
ALLOWANCES_KEY = "filter_allowances"
DEFAULT_MONTHS = 12


def snapshot_box(ref: SnapshotRef) -> None:
    st.sidebar.markdown(
        f"**Data as of {ref.reference_date:%d %B %Y}**  \n"
        f"payments accepted up to {ref.cutoff_date:%d %B %Y}  \n"
        f"refresh `{ref.refresh_id}`"
    )


def user_box(user: User) -> None:
    role = "SPP IS analyst" if not user.is_partner else f"partner analyst ({user.cbe_number or 'no institution'})"
    st.sidebar.caption(f"Signed in as **{user.username}**, {role}")
    if user.is_partner:
        st.sidebar.caption(
            "Aggregates only: counts of fewer than 5 people, the amounts and ratios drawn from them, and the few "
            "cells that a shown total would give them back from, are left blank."
        )
    if st.sidebar.button("Sign out", icon=":material/logout:", key="sign_out"):
        session.sign_out()
        st.rerun()


def _month_label(month: dt.date) -> str:
    return f"{month:%b %Y}"


def filters(ref: SnapshotRef) -> Filters:
    """Draw the filter widgets and return the selection."""
    months = amounts.available_months(ref) or [month_start(ref.cutoff_date)]
    directory = amounts.pcsa_directory(ref)
    previous: Filters | None = st.session_state.get(session.FILTERS_KEY)
    state = st.session_state

    period = state.get(PERIOD_KEY)
    if isinstance(period, tuple | list) and len(period) == 2 and all(m in months for m in period):
        default = (period[0], period[1])
    else:
        state.pop(PERIOD_KEY, None)  # options changed (another snapshot): start again from `default`
        if previous is not None and previous.month_from in months and previous.month_to in months:
            default = (previous.month_from, previous.month_to)
        else:
            default = (months[max(0, len(months) - DEFAULT_MONTHS)], months[-1])
    if REGIONS_KEY not in state:
        state[REGIONS_KEY] = list(previous.regions) if previous else []
    if ALLOWANCES_KEY not in state:
        state[ALLOWANCES_KEY] = list(previous.allowances) if previous else []

    st.sidebar.subheader("Filters")
    if len(months) > 1:
        # `value` also tells Streamlit this is a range slider (two handles), not a single month.
        period = st.sidebar.select_slider(
            "Period (benefit months)", options=months, value=default, key=PERIOD_KEY, format_func=_month_label
        )
    else:
        period = (months[0], months[0])
        st.sidebar.caption(f"Period: {_month_label(months[0])} (the only month published)")
    regions = st.sidebar.multiselect(
        "Region",
        options=list(REGIONS),
        key=REGIONS_KEY,
        format_func=REGION_LABELS.get,
        placeholder="All regions",
    )
    visible = directory[directory["region"].isin(regions)] if regions else directory
    names = dict(zip(visible["cbe_number"], visible["pcsa_name"], strict=True))
    chosen = state.get(PCSA_KEY, list(previous.pcsa) if previous else [])
    state[PCSA_KEY] = [cbe for cbe in chosen if cbe in names]  # a CPAS of a region no longer selected drops out
    pcsa = st.sidebar.multiselect(
        "CPAS",
        options=list(names),
        key=PCSA_KEY,
        format_func=lambda cbe: f"{names[cbe]} ({cbe})",
        placeholder="All CPAS",
    )
    allowances = st.sidebar.multiselect(
        "Allowance type",
        options=list(ALLOWANCE_TYPES),
        key=ALLOWANCES_KEY,
        format_func=ALLOWANCE_LABELS.get,
        placeholder="All allowance types",
    )
    selection = Filters(
        month_from=period[0],
        month_to=period[1],
        regions=tuple(regions),
        pcsa=tuple(pcsa),
        allowances=tuple(allowances),
    )
    st.session_state[session.FILTERS_KEY] = selection
    return selection


def describe(selection: Filters, ref: SnapshotRef) -> str:
    """The selection in words, shown under each page title so a screenshot says what it shows."""
    period = (
        _month_label(selection.month_from)
        if selection.month_from == selection.month_to
        else f"{_month_label(selection.month_from)} – {_month_label(selection.month_to)}"
    )
    regions = ", ".join(REGION_LABELS[r] for r in selection.regions) or "all regions"
    pcsa = f"{len(selection.pcsa)} CPAS" if selection.pcsa else "all CPAS"
    kinds = ", ".join(ALLOWANCE_LABELS[a] for a in selection.allowances) or "all allowance types"
    return f"{period} · {regions} · {pcsa} · {kinds} · data as of {ref.reference_date:%d %b %Y}"

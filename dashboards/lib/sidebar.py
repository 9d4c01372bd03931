"""The sidebar every page shares: which snapshot is shown, who is signed in, and the filters.

The filters are widgets of the entry point, so they are drawn on every page and keep their values when the
analyst moves between pages. A copy of the last selection is also kept under a plain session key, so that a
widget rebuilt with other options (a new snapshot, another region) starts from the previous choice.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
import streamlit.components.v1 as components

from dashboards.lib import amounts, charts, i18n, links, session
from dashboards.lib.auth import User
from dashboards.lib.filters import Filters
from dashboards.lib.i18n import t
from dashboards.lib.labels import ALLOWANCE_LABELS, REGION_LABELS
from dashboards.lib.snapshot import SnapshotRef
from kernel.calendar import BRUSSELS, add_months, first_saturday, month_start
from kernel.codes import ALLOWANCE_TYPES, REGIONS

PERIOD_KEY = "filter_period"
REGIONS_KEY = "filter_regions"
PCSA_KEY = "filter_pcsa"
ALLOWANCES_KEY = "filter_allowances"
DEFAULT_MONTHS = 12
PICK_CHART_KEY = "cpas_ranking_chart"  # session state: the CPAS picked on a ranking chart (charts.bars(pick=...))
PICKED_KEY = "lww_cpas_picked"  # session state: a CPAS was just picked, the explorer is to open at its top


REFRESH_HOUR = 6  # the scheduled refresh: first Saturday of the month, 06:00 Europe/Brussels (DOMAIN.md)


def published_at(refresh_id: str) -> dt.datetime | None:
    """When a snapshot was published, in Brussels time: its refresh id begins with that instant in UTC
    (``20261127T233000123456Z-R2026-11-07``); None for an id of another form."""
    try:
        moment = dt.datetime.strptime(refresh_id.split("Z-", 1)[0], "%Y%m%dT%H%M%S%f")
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC).astimezone(BRUSSELS)


def next_refresh(now: dt.datetime) -> dt.datetime:
    """The next scheduled refresh after ``now`` (time-zone aware): the first Saturday of this month or the next
    one, at 06:00 in Brussels."""
    local = now.astimezone(BRUSSELS)
    month = month_start(local.date())
    while True:
        day = first_saturday(month.year, month.month)
        run = dt.datetime.combine(day, dt.time(REFRESH_HOUR), tzinfo=BRUSSELS)
        if run > local:
            return run
        month = add_months(month, 1)


def snapshot_box(ref: SnapshotRef, now: dt.datetime | None = None) -> None:
    """What the data is and how fresh: when it was published, up to which acceptance date (the cutoff), and
    when the next scheduled refresh will run."""
    published = published_at(ref.refresh_id)
    coming = next_refresh(now or dt.datetime.now(tz=BRUSSELS))
    lines = [f"**{t('sidebar.data_as_of', date=i18n.date_long(ref.reference_date))}**"]
    if published:
        lines.append(t("sidebar.published", moment=i18n.datetime_long(published)))
    lines += [
        t("sidebar.cutoff", date=i18n.date_long(ref.cutoff_date)),
        t("sidebar.next_refresh", moment=i18n.weekday_datetime(coming)),
        t("sidebar.refresh_id", refresh_id=ref.refresh_id),
    ]
    st.sidebar.markdown("  \n".join(lines))


def user_box(user: User) -> None:
    role = (
        t("sidebar.role.analyst")
        if not user.is_partner
        else t("sidebar.role.partner", institution=user.cbe_number or t("sidebar.no_institution"))
    )
    st.sidebar.caption(t("sidebar.signed_in", username=user.username, role=role))
    if user.is_partner:
        st.sidebar.caption(t("sidebar.partner_note"))
    if st.sidebar.button(t("sidebar.sign_out"), icon=":material/logout:", key="sign_out"):
        session.sign_out()
        st.rerun()


def _month_label(month: dt.date) -> str:
    return i18n.month_label(month)


def filters(ref: SnapshotRef) -> Filters:
    """Draw the filter widgets and return the selection."""
    months = amounts.available_months(ref) or [month_start(ref.cutoff_date)]
    directory = amounts.pcsa_directory(ref, i18n.current_language())
    previous: Filters | None = st.session_state.get(session.FILTERS_KEY)
    state = st.session_state

    asked = links.requested_filters(months)  # a link or a reload: its filters, once
    requested = (asked[links.FROM], asked[links.TO]) if links.FROM in asked else None
    if requested is not None:
        state.pop(PERIOD_KEY, None)  # the slider starts from `default` below (never set through the state)
    for key, part in ((REGIONS_KEY, links.REGION), (PCSA_KEY, links.CPAS), (ALLOWANCES_KEY, links.ALLOWANCE)):
        if part in asked:
            state[key] = asked[part]

    period = state.get(PERIOD_KEY)
    if isinstance(period, tuple | list) and len(period) == 2 and all(m in months for m in period):
        default = (period[0], period[1])
    else:
        state.pop(PERIOD_KEY, None)  # options changed (another snapshot): start again from `default`
        if requested is not None:
            default = requested
        elif previous is not None and previous.month_from in months and previous.month_to in months:
            default = (previous.month_from, previous.month_to)
        else:
            default = (months[max(0, len(months) - DEFAULT_MONTHS)], months[-1])
    if REGIONS_KEY not in state:
        state[REGIONS_KEY] = list(previous.regions) if previous else []
    if ALLOWANCES_KEY not in state:
        state[ALLOWANCES_KEY] = list(previous.allowances) if previous else []

    st.sidebar.subheader(t("sidebar.filters"))
    if len(months) > 1:
        # `value` also tells Streamlit this is a range slider (two handles), not a single month.
        period = st.sidebar.select_slider(
            t("sidebar.period"), options=months, value=default, key=PERIOD_KEY, format_func=_month_label
        )
    else:
        period = (months[0], months[0])
        st.sidebar.caption(t("sidebar.only_month", month=_month_label(months[0])))
    regions = st.sidebar.multiselect(
        t("sidebar.region"),
        options=list(REGIONS),
        key=REGIONS_KEY,
        format_func=REGION_LABELS.get,
        placeholder=t("sidebar.all_regions"),
    )
    visible = directory[directory["region"].isin(regions)] if regions else directory
    names = dict(zip(visible["cbe_number"], visible["pcsa_name"], strict=True))
    chosen = state.get(PCSA_KEY, list(previous.pcsa) if previous else [])
    state[PCSA_KEY] = [cbe for cbe in chosen if cbe in names]  # a CPAS of a region no longer selected drops out
    pcsa = st.sidebar.multiselect(
        t("sidebar.cpas"),
        options=list(names),
        key=PCSA_KEY,
        format_func=lambda cbe: f"{names[cbe]} ({cbe})",
        placeholder=t("sidebar.all_cpas"),
    )
    allowances = st.sidebar.multiselect(
        t("sidebar.allowance"),
        options=list(ALLOWANCE_TYPES),
        key=ALLOWANCES_KEY,
        format_func=ALLOWANCE_LABELS.get,
        placeholder=t("sidebar.all_allowances"),
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


def follow_picked_pcsa() -> None:
    """The callback of the CPAS ranking chart: the CPAS whose bar was clicked becomes the CPAS filter, so the
    CPAS explorer follows it month by month (a callback runs before the sidebar's widgets are drawn, the one
    moment their state may be set). A second click on the same bar, which empties the pick, keeps the filter."""
    chosen = charts.picked(st.session_state.get(PICK_CHART_KEY), "pcsa_cbe_number")
    if chosen:
        st.session_state[PCSA_KEY] = chosen
        st.session_state[PICKED_KEY] = True


def open_picked_pcsa() -> None:
    """After a click on a CPAS bar: show the CPAS explorer from its top, where the CPAS picked is followed month
    by month (the click left the reader at the ranking, far below; a switch to the same page keeps the scroll,
    and Streamlit has no other way to scroll than a script in a component beside the page)."""
    if st.session_state.pop(PICKED_KEY, False):
        components.html(
            "<script>window.parent.document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)</script>",
            height=0,
        )


def describe(selection: Filters, ref: SnapshotRef) -> str:
    """The selection in words, shown under each page title so a screenshot says what it shows."""
    period = (
        _month_label(selection.month_from)
        if selection.month_from == selection.month_to
        else f"{_month_label(selection.month_from)} – {_month_label(selection.month_to)}"
    )
    regions = ", ".join(REGION_LABELS[r] for r in selection.regions) or t("describe.all_regions")
    count = len(selection.pcsa)
    pcsa = (
        t("describe.all_cpas")
        if not count
        else t("describe.one_cpas")
        if count == 1
        else t("describe.n_cpas", count=count)
    )
    kinds = ", ".join(ALLOWANCE_LABELS[a] for a in selection.allowances) or t("describe.all_allowances")
    data = t("describe.data_as_of", date=i18n.date_short(ref.reference_date))
    return f"{period} · {regions} · {pcsa} · {kinds} · {data}"

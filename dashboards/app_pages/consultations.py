"""Consultations: the audit log of the consultation service, per institution and operation, refusals by
status code, and response times. Partner analysts see their own institution's consultations only."""

import streamlit as st

from dashboards.lib import charts, consultations, formats, i18n, tables, viewer
from dashboards.lib.i18n import t

DAYS_KEY = "consultation_days"

view = viewer.current()

st.title(t("nav.consultations"))
# A consultation has its own time axis: the days it was made, up to today (the benefit months of the sidebar
# end at the last month paid, so they would hide every recent consultation).
today = consultations.today()
chosen = st.date_input(
    t("consultations.days"),
    value=consultations.default_days(today),
    max_value=today,
    key=DAYS_KEY,
    format="DD/MM/YYYY",
    help=t("consultations.days_help", days=consultations.DEFAULT_DAYS),
)
days = (chosen[0], chosen[-1]) if isinstance(chosen, tuple | list) and chosen else consultations.default_days(today)
first, last = i18n.date_short(days[0]), i18n.date_short(days[1])
st.caption(
    t(
        "consultations.caption",
        first=first,
        last=last,
        refresh_id=view.snapshot.refresh_id,
        note=t("page.filters_do_not_apply"),
    )
)
if view.institution is not None:
    st.info(t("consultations.own_only", institution=view.institution))

totals = view.consultation_totals(days)
if not totals["requests"]:
    # Said once, in words: no tiles of zeros, no empty chart or tables under it.
    st.info(t("consultations.none", first=first, last=last))
else:
    columns = st.columns(4)
    columns[0].metric(t("consultations.requests"), tables.count(totals["requests"]))
    columns[1].metric(t("consultations.refused"), tables.count(totals["refusals"]))
    columns[2].metric(t("consultations.refusal_rate"), formats.percent(totals["refusal_rate"]))
    columns[3].metric(
        t("consultations.slowest_p95"),
        formats.count(totals["p95_ms"]),
        help=t("consultations.slowest_p95_help"),
    )

    daily = view.consultations_per_day(days)
    if not daily.empty:
        st.subheader(t("consultations.per_day"))
        charts.draw(charts.daily(daily, ["requests", "refusals"], alert=("refusals",)))

    st.subheader(t("consultations.per_institution"))
    charts.draw(charts.bars(view.requests_per_institution(days), "institution", "requests"))
    tables.show(view.consultations_per_institution(days), name="consultations-per-institution")

    # One under the other: side by side, the response times were wider than half the page.
    st.subheader(t("consultations.refusals"))
    tables.show(view.consultation_refusals(days), name="consultations-refusals", empty=t("consultations.no_refusals"))
    st.subheader(t("consultations.latency"))
    tables.show(view.consultation_latency(days), name="consultations-latency")

sign_ins = view.sign_ins()
if sign_ins is not None:
    with st.expander(t("consultations.sign_ins")):
        st.caption(t("consultations.sign_ins_caption"))
        tables.show(sign_ins, name="dashboard-sign-ins", height=320, empty=t("consultations.no_sign_ins"))

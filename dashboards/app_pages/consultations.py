"""Consultations: the audit log of the consultation service, per institution and operation, refusals by
status code, and response times. Partner analysts see their own institution's consultations only."""

import streamlit as st

from dashboards.lib import charts, sidebar, tables, viewer

view = viewer.current()

st.title("Consultations")
st.caption(sidebar.describe(view.filters, view.snapshot) + " · only the period applies here")
if view.institution is not None:
    st.info(f"Consultations made by your institution ({view.institution}) only.")

totals = view.consultation_totals()
columns = st.columns(4)
columns[0].metric("Requests", tables.count(totals["requests"]))
columns[1].metric("Refused", tables.count(totals["refusals"]))
columns[2].metric("Refusal rate", f"{totals['refusal_rate']:.1%}" if totals["refusal_rate"] is not None else "–")
columns[3].metric(
    "Slowest p95 (ms)",
    f"{totals['p95_ms']:,.0f}" if totals["p95_ms"] is not None else "–",
    help="The 95th percentile response time of the slowest operation.",
)

daily = view.consultations_per_day()
if not daily.empty:
    st.subheader("Requests per day")
    charts.draw(charts.daily(daily, ["requests", "refusals"]))

st.subheader("Per institution and operation")
per_institution = view.consultations_per_institution()
if not per_institution.empty:
    charts.draw(charts.bars(view.requests_per_institution(), "institution", "requests"))
tables.show(per_institution, name="consultations-per-institution")

left, right = st.columns(2)
with left:
    st.subheader("Refusals by status code")
    tables.show(view.consultation_refusals(), name="consultations-refusals")
with right:
    st.subheader("Response time per operation")
    tables.show(view.consultation_latency(), name="consultations-latency")

sign_ins = view.sign_ins()
if sign_ins is not None:
    with st.expander("Sign-ins to these dashboards (personal data)"):
        st.caption(
            "Every attempt, newest first: who, when (UTC), from which address (none: the local host), and the "
            "outcome. Throttled and locked attempts were refused before their password was checked."
        )
        tables.show(sign_ins, name="dashboard-sign-ins", height=320)

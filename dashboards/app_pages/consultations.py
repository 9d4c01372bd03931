"""Consultations: the audit log of the consultation service, per institution and operation, refusals by
status code, and response times. Partner analysts see their own institution's consultations only."""

import streamlit as st

from dashboards.lib import charts, consultations, sidebar, tables
from dashboards.lib.session import page_context

context = page_context()
ref, selection, user = context.snapshot, context.filters, context.user
# A partner analyst sees his own institution's consultations; one without an institution sees none.
institution = (user.cbe_number or "-") if user.is_partner else None

st.title("Consultations")
st.caption(sidebar.describe(selection, ref) + " · only the period applies here")
if institution is not None:
    st.info(f"Consultations made by your institution ({institution}) only.")

per_institution = consultations.per_institution(ref, selection, institution)
refused = consultations.refusals(ref, selection, institution)
latency = consultations.latency(ref, selection, institution)
daily = consultations.daily(ref, selection, institution)

requests = int(per_institution["requests"].sum()) if not per_institution.empty else 0
refusal_count = int(per_institution["refusals"].sum()) if not per_institution.empty else 0
columns = st.columns(4)
columns[0].metric("Requests", tables.count(requests))
columns[1].metric("Refused", tables.count(refusal_count))
columns[2].metric("Refusal rate", f"{refusal_count / requests:.1%}" if requests else "–")
columns[3].metric(
    "Slowest p95 (ms)",
    f"{latency['p95_ms'].max():,.0f}" if not latency.empty else "–",
    help="The 95th percentile response time of the slowest operation.",
)

if not daily.empty:
    st.subheader("Requests per day")
    charts.draw(charts.daily(daily, ["requests", "refusals"]))

st.subheader("Per institution and operation")
if not per_institution.empty:
    totals = per_institution.groupby("institution", as_index=False)["requests"].sum()
    charts.draw(charts.bars(totals, "institution", "requests"))
tables.show(per_institution, name="consultations-per-institution")

left, right = st.columns(2)
with left:
    st.subheader("Refusals by status code")
    tables.show(refused, name="consultations-refusals")
with right:
    st.subheader("Response time per operation")
    tables.show(latency, name="consultations-latency")

"""Consultations: the audit log of the consultation service, per institution and operation, refusals by
status code, and response times. Partner analysts see their own institution's consultations only."""

import streamlit as st

from dashboards.lib import charts, consultations, formats, tables, viewer

DAYS_KEY = "consultation_days"

view = viewer.current()

st.title("Consultations")
# A consultation has its own time axis: the days it was made, up to today (the benefit months of the sidebar
# end at the last month paid, so they would hide every recent consultation).
today = consultations.today()
chosen = st.date_input(
    "Consultations made from … to … (UTC)",
    value=consultations.default_days(today),
    max_value=today,
    key=DAYS_KEY,
    format="DD/MM/YYYY",
    help=f"The last {consultations.DEFAULT_DAYS} days up to today unless you choose other days.",
)
days = (chosen[0], chosen[-1]) if isinstance(chosen, tuple | list) and chosen else consultations.default_days(today)
st.caption(
    f"{days[0]:%d %b %Y} – {days[1]:%d %b %Y} · consultations up to the refresh `{view.snapshot.refresh_id}` · "
    "the sidebar's filters do not apply here"
)
if view.institution is not None:
    st.info(f"Consultations made by your institution ({view.institution}) only.")

totals = view.consultation_totals(days)
if not totals["requests"]:
    st.info(
        f"No consultation from {days[0]:%d %b %Y} to {days[1]:%d %b %Y} in this snapshot. Consultations made "
        "since its refresh show after the next one; choose earlier days above to see older ones."
    )
columns = st.columns(4)
columns[0].metric("Requests", tables.count(totals["requests"]))
columns[1].metric("Refused", tables.count(totals["refusals"]))
columns[2].metric("Refusal rate", formats.percent(totals["refusal_rate"]))
columns[3].metric(
    "Slowest p95 (ms)",
    formats.count(totals["p95_ms"]),
    help="The 95th percentile response time of the slowest operation.",
)

daily = view.consultations_per_day(days)
if not daily.empty:
    st.subheader("Requests per day")
    charts.draw(charts.daily(daily, ["requests", "refusals"]))

st.subheader("Per institution and operation")
per_institution = view.consultations_per_institution(days)
if not per_institution.empty:
    charts.draw(charts.bars(view.requests_per_institution(days), "institution", "requests"))
tables.show(per_institution, name="consultations-per-institution")

left, right = st.columns(2)
with left:
    st.subheader("Refusals by status code")
    tables.show(view.consultation_refusals(days), name="consultations-refusals")
with right:
    st.subheader("Response time per operation")
    tables.show(view.consultation_latency(days), name="consultations-latency")

sign_ins = view.sign_ins()
if sign_ins is not None:
    with st.expander("Sign-ins to these dashboards (personal data)"):
        st.caption(
            "Every attempt, newest first: who, when (UTC), from which address (none: the local host), and the "
            "outcome. Throttled and locked attempts were refused before their password was checked."
        )
        tables.show(sign_ins, name="dashboard-sign-ins", height=320)

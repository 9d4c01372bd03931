"""Finality: how much of each month is still provisional, consolidating or final; how each month's total
converged over the refreshes; and the size of the late revisions."""

import streamlit as st

from dashboards.lib import charts, sidebar, tables, viewer

view = viewer.current()

st.title("Finality")
st.caption(sidebar.describe(view.filters, view.snapshot))
st.markdown(
    "A month is **provisional** for 3 months, then **consolidating** while a rejection is still open, and "
    "**final** from 6 months on (or from 3 months without open rejection)."
)

columns = st.columns(3)
for column, (status, figures) in zip(columns, view.finality_totals().items(), strict=True):
    column.metric(
        status.capitalize(),
        tables.euros(figures["amount"]),
        delta=tables.percent(figures["share"], "of the period"),
        delta_color="off",
        delta_arrow="off",
        help=tables.withheld_help(figures["amount"]),
    )

by_status = view.finality_by_month()
if by_status.empty:
    st.info("No amounts for this selection.")
else:
    st.subheader("Amount per month by finality")
    charts.draw(charts.monthly(by_status, "amount", "finality_status"))
    tables.show(by_status, name="finality-by-month")

st.subheader("Convergence over the refreshes")
st.caption("Each benefit month's total as published by successive refreshes (the last 12 months of the period).")
history = view.amount_convergence(months=12)
if history.empty:
    st.info("No history yet: it grows with each refresh.")
else:
    charts.draw(charts.convergence(history))
tables.show(view.revisions(), name="finality-revisions")

st.subheader("Late revisions")
st.caption("Lines for month m accepted from the first day of m+7 on: the month was already final by age.")
late = view.late_revision_totals()
left, right = st.columns(2)
left.metric("Late revision lines", tables.count(late["lines"]), help=tables.withheld_help(late["lines"]))
right.metric("Amount of late revisions", tables.euros(late["amount"]), help=tables.withheld_help(late["amount"]))
tables.show(view.late_revisions(), name="finality-late-revisions")

"""Finality: how much of each month is still provisional, consolidating or final; how each month's total
converged over the refreshes; and the size of the late revisions."""

import streamlit as st

from dashboards.lib import charts, sidebar, tables, viewer
from dashboards.lib.i18n import t
from dashboards.lib.labels import FINALITY_LABELS

view = viewer.current()

st.title(t("nav.finality"))
st.caption(sidebar.describe(view.filters, view.snapshot))
st.markdown(t("finality.explained"))

columns = st.columns(3)
for column, (status, figures) in zip(columns, view.finality_totals().items(), strict=True):
    column.metric(
        FINALITY_LABELS[status],
        tables.euros(figures["amount"]),
        delta=tables.percent(figures["share"], t("finality.of_the_period")),
        delta_color="off",
        delta_arrow="off",
        help=tables.withheld_help(figures["amount"]),
    )

by_status = view.finality_by_month()
if by_status.empty:
    st.info(t("page.no_amounts"))
else:
    st.subheader(t("finality.by_month"))
    charts.draw(charts.monthly(by_status, "amount", "finality_status"))
    tables.show(by_status, name="finality-by-month")

st.subheader(t("finality.convergence"))
st.caption(t("finality.convergence_caption"))
history = view.amount_convergence(months=12)
if history.empty:
    st.info(t("finality.no_history"))
else:
    charts.draw(charts.convergence(history))
    tables.show(view.revisions(), name="finality-revisions", empty=t("finality.no_revisions"))

st.subheader(t("finality.late_revisions"))
st.caption(t("finality.late_revisions_caption"))
late = view.late_revision_totals()
left, right = st.columns(2)
left.metric(t("finality.late_revision_lines"), tables.count(late["lines"]), help=tables.withheld_help(late["lines"]))
right.metric(
    t("finality.late_revision_amount"), tables.euros(late["amount"]), help=tables.withheld_help(late["amount"])
)
tables.show(view.late_revisions(), name="finality-late-revisions", empty=t("finality.no_late"))

"""Finality: how much of each month is still provisional, consolidating or final; how each month's total
converged over the refreshes; and the size of the late revisions."""

import streamlit as st

from dashboards.lib import amounts, charts, privacy, sidebar, tables
from dashboards.lib.session import page_context

context = page_context()
ref, selection, user = context.snapshot, context.filters, context.user

st.title("Finality")
st.caption(sidebar.describe(selection, ref))
st.markdown(
    "A month is **provisional** for 3 months, then **consolidating** while a rejection is still open, and "
    "**final** from 6 months on (or from 3 months without open rejection)."
)

raw = amounts.finality_by_month(ref, selection)
total = raw["amount"].sum() if not raw.empty else 0
columns = st.columns(3)
for column, status in zip(columns, ("FINAL", "CONSOLIDATING", "PROVISIONAL"), strict=True):
    of_status = raw[raw["finality_status"] == status]
    if user.is_partner and privacy.is_small(of_status["beneficiaries"].sum()):
        column.metric(status.capitalize(), "suppressed")
        continue
    amount = of_status["amount"].sum()
    share = f"{amount / total:.1%} of the period" if total else None
    column.metric(status.capitalize(), tables.euros(amount), delta=share, delta_color="off", delta_arrow="off")
by_status = privacy.suppress(raw, ["beneficiaries"], ["amount", "rows", "share"]) if user.is_partner else raw

if by_status.empty:
    st.info("No amounts for this selection.")
else:
    st.subheader("Amount per month by finality")
    charts.draw(charts.monthly(by_status, "amount", "finality_status"))
    tables.show(by_status, name="finality-by-month")

st.subheader("Convergence over the refreshes")
st.caption("Each benefit month's total as published by successive refreshes (the last 12 months of the period).")
history = amounts.amount_convergence(ref, selection)
if user.is_partner:
    history = privacy.suppress(history, ["rows"], ["amount"])
if history.empty:
    st.info("No history yet: it grows with each refresh.")
else:
    recent = sorted(history["month"].unique())[-12:]
    charts.draw(charts.convergence(history[history["month"].isin(recent)]))
revisions = amounts.revisions(ref, selection)
if user.is_partner:
    revisions = privacy.suppress(revisions, ["rows"], ["first_amount", "latest_amount", "revision", "revision_share"])
tables.show(revisions, name="finality-revisions")

st.subheader("Late revisions")
st.caption("Lines for month m accepted from the first day of m+7 on: the month was already final by age.")
late = amounts.late_revisions(ref, selection)
late_lines = int(late["lines"].sum()) if not late.empty else 0
late_amount = late["amount"].sum() if not late.empty else 0
hidden = user.is_partner and privacy.is_small(late_lines)  # totals from the unsuppressed rows, then judged
left, right = st.columns(2)
left.metric("Late revision lines", "<5" if hidden else tables.count(late_lines))
right.metric("Amount of late revisions", "suppressed" if hidden else tables.euros(late_amount))
if user.is_partner:
    late = privacy.suppress(late, ["lines", "beneficiaries"], ["amount", "max_months_late"])
tables.show(late, name="finality-late-revisions")

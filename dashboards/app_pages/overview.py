"""Overview: what was paid, to how many, broken down by allowance type, household category, region or
finality, and how it compares with a year before."""

import streamlit as st

from dashboards.lib import charts, sidebar, tables, viewer

view = viewer.current()

st.title("Overview")
st.caption(sidebar.describe(view.filters, view.snapshot))

total = view.totals()
columns = st.columns(4)
hidden = tables.withheld_help(*total.values())
columns[0].metric("Amount paid", tables.euros(total["amount"]), help=hidden)
columns[1].metric(
    "of which final",
    tables.euros(total["final_amount"]),
    delta=tables.percent(total["final_share"], "final"),
    delta_color="off",
    delta_arrow="off",
    help=tables.withheld_help(total["final_amount"])
    or "Amounts of months whose finality status is FINAL (see the Finality page for the rest).",
)
columns[2].metric(
    "Beneficiary-months",
    tables.count(total["beneficiary_months"]),
    help=tables.withheld_help(total["beneficiary_months"])
    or "Beneficiaries counted once per month, CPAS, allowance type and household category.",
)
columns[3].metric("Average per beneficiary-month", tables.euros(total["avg_amount"]), help=hidden)

labels = {
    "allowance_type": "Allowance type",
    "household_category": "Household category",
    "region": "Region",
    "finality_status": "Finality",
}
dimension = (
    st.segmented_control(
        "Break down by", options=list(labels), format_func=labels.get, default="allowance_type", key="overview_by"
    )
    or "allowance_type"
)

monthly = view.monthly_by(dimension)
if monthly.empty:
    st.info("No amounts for this selection.")
else:
    left, right = st.columns(2)
    with left:
        st.subheader("Amount per month")
        charts.draw(charts.monthly(monthly, "amount", dimension))
    with right:
        st.subheader("Beneficiaries per month")
        charts.draw(charts.monthly(monthly, "beneficiaries", dimension, kind="line"))
    tables.show(monthly, name=f"overview-by-{dimension}")

st.subheader("Year on year")
st.caption("Each month of the period beside the same month a year before, with the same filters.")
yoy = view.year_on_year()
if not yoy.empty:
    charts.draw(charts.year_on_year(yoy, height=260))
tables.show(yoy, name="overview-year-on-year")

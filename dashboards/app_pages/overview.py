"""Overview: what was paid, to how many, broken down by allowance type, household category, region or
finality, and how it compares with a year before."""

import pandas as pd
import streamlit as st

from dashboards.lib import amounts, charts, privacy, sidebar, tables
from dashboards.lib.session import page_context

context = page_context()
ref, selection, user = context.snapshot, context.filters, context.user

st.title("Overview")
st.caption(sidebar.describe(selection, ref))

total = amounts.totals(ref, selection).iloc[0]
hidden = user.is_partner and privacy.is_small(total["beneficiary_months"])
final_share = total["final_amount"] / total["amount"] if total["amount"] else None
columns = st.columns(4)
columns[0].metric("Amount paid", "suppressed" if hidden else tables.euros(total["amount"]))
columns[1].metric(
    "of which final",
    "suppressed" if hidden else tables.euros(total["final_amount"]),
    delta=None if hidden or final_share is None else f"{final_share:.1%} final",
    delta_color="off",
    delta_arrow="off",
    help="Amounts of months whose finality status is FINAL (see the Finality page for the rest).",
)
columns[2].metric(
    "Beneficiary-months",
    "<5" if hidden else tables.count(total["beneficiary_months"]),
    help="Beneficiaries counted once per month, CPAS, allowance type and household category.",
)
average = total["amount"] / total["beneficiary_months"] if total["beneficiary_months"] else None
columns[3].metric("Average per beneficiary-month", "suppressed" if hidden else tables.euros(average))

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

monthly = amounts.monthly_by(ref, selection, dimension)
if user.is_partner:
    monthly = privacy.suppress(monthly, ["beneficiaries"], ["amount"])
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
yoy = amounts.year_on_year(ref, selection)
if user.is_partner:
    yoy = privacy.suppress(
        yoy,
        ["beneficiaries", "beneficiaries_year_before"],
        ["amount", "amount_year_before", "amount_change", "beneficiaries_change"],
    )
if not yoy.empty:
    long = pd.concat(
        [
            yoy[["month", "amount"]].assign(series="Selected period"),
            yoy[["month", "amount_year_before"]]
            .rename(columns={"amount_year_before": "amount"})
            .assign(series="A year before"),
        ]
    )
    charts.draw(charts.monthly(long, "amount", "series", kind="line", height=260))
tables.show(yoy, name="overview-year-on-year")

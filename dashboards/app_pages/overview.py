"""Overview: what was paid, to how many, broken down by allowance type, household category, region or
finality, and how it compares with a year before."""

import streamlit as st

from dashboards.lib import charts, sidebar, tables, viewer
from dashboards.lib.i18n import t
from dashboards.lib.labels import title

view = viewer.current()

st.title(t("nav.overview"))
st.caption(sidebar.describe(view.filters, view.snapshot))

total = view.totals()
columns = [*st.columns(2), *st.columns(2)]  # two by two: four amounts side by side were cut short (1.458.7…)
hidden = tables.withheld_help(*total.values())
columns[0].metric(t("overview.amount_paid"), tables.euros(total["amount"]), help=hidden)
columns[1].metric(
    t("overview.of_which_final"),
    tables.euros(total["final_amount"]),
    delta=tables.percent(total["final_share"], t("overview.final")),
    delta_color="off",
    delta_arrow="off",
    help=tables.withheld_help(total["final_amount"]) or t("overview.final_help"),
)
columns[2].metric(
    title("beneficiary_months"),
    tables.count(total["beneficiary_months"]),
    help=tables.withheld_help(total["beneficiary_months"]) or t("overview.beneficiary_months_help"),
)
columns[3].metric(t("page.avg_per_beneficiary_month"), tables.euros(total["avg_amount"]), help=hidden)

labels = {
    dimension: title(dimension) for dimension in ("allowance_type", "household_category", "region", "finality_status")
}
dimension = (
    st.segmented_control(
        t("overview.break_down_by"),
        options=list(labels),
        format_func=labels.get,
        default="allowance_type",
        key="overview_by",
    )
    or "allowance_type"
)

monthly = view.monthly_by(dimension)
if monthly.empty:
    st.info(t("page.no_amounts"))
else:
    left, right = st.columns(2)
    with left:
        st.subheader(t("page.amount_per_month"))
        charts.draw(charts.monthly(monthly, "amount", dimension))
    with right:
        st.subheader(t("page.beneficiaries_per_month"))
        charts.draw(charts.monthly(monthly, "beneficiaries", dimension, kind="line"))
    tables.show(monthly, name=f"overview-by-{dimension}")

st.subheader(t("overview.year_on_year"))
st.caption(t("overview.year_on_year_caption"))
yoy = view.year_on_year()
if not yoy.empty:
    charts.draw(charts.year_on_year(yoy, height=260))
# The beneficiaries a year before are in the expander under the table (with them, it is wider than the page).
tables.show(yoy, name="overview-year-on-year", detail=("beneficiaries_year_before",))

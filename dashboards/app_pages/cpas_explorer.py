"""CPAS explorer: one CPAS or a comparison of several (chosen in the sidebar), and a ranking of all CPAS."""

import streamlit as st

from dashboards.lib import charts, sidebar, tables, viewer

view = viewer.current()

st.title("CPAS explorer")
st.caption(sidebar.describe(view.filters, view.snapshot))

if view.filters.pcsa:
    chosen = view.pcsa_ranking(chosen_only=True)
    st.subheader("Comparison of the selected CPAS" if len(view.filters.pcsa) > 1 else "Selected CPAS")
    tables.show(chosen.drop(columns=["rank"]), name="cpas-selected")
    monthly = view.pcsa_monthly()
    if not monthly.empty:
        left, right = st.columns(2)
        with left:
            st.markdown("**Amount per month**")
            charts.draw(charts.monthly(monthly, "amount", "pcsa_name", kind="line"))
        with right:
            st.markdown("**Average per beneficiary-month**")
            charts.draw(charts.monthly(monthly, "avg_amount", "pcsa_name", kind="line"))
        st.markdown("**Beneficiaries per month**")
        charts.draw(charts.monthly(monthly, "beneficiaries", "pcsa_name", kind="line", height=240))
else:
    st.info("Choose one or more CPAS in the sidebar to follow or compare them month by month.")

st.subheader("Ranking")
st.caption(
    "Every CPAS of the selected regions and allowance types over the period, by amount paid. "
    "Partial months: rows not covering the whole month. Rejection rate: open rejections among current lines."
)
ranking = view.pcsa_ranking(chosen_only=False)
if not ranking.empty:
    charts.draw(charts.bars(ranking.head(20), "pcsa_name", "amount"))
tables.show(ranking, name="cpas-ranking", height=420)

"""CPAS explorer: one CPAS or a comparison of several (chosen in the sidebar), and a ranking of all CPAS."""

import dataclasses

import streamlit as st

from dashboards.lib import amounts, charts, privacy, sidebar, tables
from dashboards.lib.session import page_context

context = page_context()
ref, selection, user = context.snapshot, context.filters, context.user
RANKING_COUNTS = ["beneficiary_months"]
RANKING_LINKED = ["amount", "avg_beneficiaries", "avg_amount", "partial_share", "rejection_rate"]

st.title("CPAS explorer")
st.caption(sidebar.describe(selection, ref))

if selection.pcsa:
    chosen = amounts.pcsa_ranking(ref, selection)
    if user.is_partner:
        chosen = privacy.suppress(chosen, RANKING_COUNTS, RANKING_LINKED)
    st.subheader("Comparison of the selected CPAS" if len(selection.pcsa) > 1 else "Selected CPAS")
    tables.show(chosen.drop(columns=["rank"]), name="cpas-selected")
    monthly = amounts.pcsa_monthly(ref, selection)
    if user.is_partner:
        monthly = privacy.suppress(monthly, ["beneficiaries"], ["amount", "avg_amount"])
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
ranking = amounts.pcsa_ranking(ref, dataclasses.replace(selection, pcsa=()))
if user.is_partner:
    ranking = privacy.suppress(ranking, RANKING_COUNTS, RANKING_LINKED)
if not ranking.empty:
    top = ranking.head(20)
    charts.draw(charts.bars(top, "pcsa_name", "amount"))
tables.show(ranking, name="cpas-ranking", height=420)

"""CPAS explorer: one CPAS or a comparison of several (chosen in the sidebar), and a ranking of all CPAS."""

import streamlit as st

from dashboards.lib import charts, sidebar, tables, viewer
from dashboards.lib.i18n import t

view = viewer.current()

st.title(t("nav.cpas_explorer"))
st.caption(sidebar.describe(view.filters, view.snapshot))

if view.filters.pcsa:
    chosen = view.pcsa_ranking(chosen_only=True)
    st.subheader(t("explorer.comparison") if len(view.filters.pcsa) > 1 else t("explorer.selected"))
    tables.show(chosen.drop(columns=["rank"]), name="cpas-selected")
    monthly = view.pcsa_monthly()
    if not monthly.empty:
        left, right = st.columns(2)
        with left:
            st.markdown(f"**{t('page.amount_per_month')}**")
            charts.draw(charts.monthly(monthly, "amount", "pcsa_name", kind="line"))
        with right:
            st.markdown(f"**{t('page.avg_per_beneficiary_month')}**")
            charts.draw(charts.monthly(monthly, "avg_amount", "pcsa_name", kind="line"))
        st.markdown(f"**{t('page.beneficiaries_per_month')}**")
        charts.draw(charts.monthly(monthly, "beneficiaries", "pcsa_name", kind="line", height=240))
else:
    st.info(t("explorer.choose"))

st.subheader(t("explorer.ranking"))
st.caption(t("explorer.ranking_caption"))
ranking = view.pcsa_ranking(chosen_only=False)
if not ranking.empty:
    charts.draw(charts.bars(ranking.head(20), "pcsa_name", "amount"))
tables.show(ranking, name="cpas-ranking", height=420)

"""CPAS explorer: one CPAS or a comparison of several (chosen in the sidebar), and a ranking of all CPAS."""

import streamlit as st

from dashboards.lib import charts, sidebar, tables, viewer
from dashboards.lib.i18n import t

# Left out of the tables so that they fit the page (they are in the expander under each).
DETAIL = ("pcsa_cbe_number", "beneficiary_months", "avg_beneficiaries", "partial_share")

view = viewer.current()
sidebar.open_picked_pcsa()  # a CPAS bar was just clicked: the page shows it from its top

st.title(t("nav.cpas_explorer"))
st.caption(sidebar.describe(view.filters, view.snapshot))

if view.filters.pcsa:
    chosen = view.pcsa_ranking(chosen_only=True)
    st.subheader(t("explorer.comparison") if len(view.filters.pcsa) > 1 else t("explorer.selected"))
    tables.show(chosen.drop(columns=["rank"]), name="cpas-selected", empty=t("explorer.no_chosen"), detail=DETAIL)
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
    st.caption(t("explorer.pick_hint"))
    charts.draw(
        charts.bars(ranking.head(20), "pcsa_name", "amount", pick="pcsa_cbe_number"),
        key=sidebar.PICK_CHART_KEY,
        on_select=sidebar.follow_picked_pcsa,
    )
tables.show(ranking, name="cpas-ranking", height=420, empty=t("explorer.no_ranking"), detail=DETAIL)

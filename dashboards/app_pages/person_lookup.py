"""Person lookup (SPP IS analysts only): the monthly amounts of one SSIN, as beneficiary and as partner.
Every lookup is logged.

It shows the person's whole history, whatever the sidebar's period, region, CPAS and allowance type, and says
so: a lookup answers a question about one case ("was this person helped, when, by which CPAS, with whom?"),
and a month left out by a filter would read as a month not paid. The filters are for the aggregates.
"""

import pandas as pd
import streamlit as st

from dashboards.lib import charts, i18n, tables, viewer
from dashboards.lib.i18n import t
from dashboards.lib.labels import SSIN_PROBLEMS
from kernel.identifiers import ssin_error

# Left out of the tables so that they fit the page (they are in the expander under each).
DETAIL = ("household_category", "covers_whole_period", "is_last_indemnified_month")

view = viewer.current()

st.title(t("nav.person_lookup"))
if not view.sees_people:  # not even registered for partners; and refused here all the same
    st.error(t("lookup.partners_refused"))
    st.stop()
st.caption(t("lookup.caption", date=i18n.date_long(view.snapshot.reference_date)))

with st.form("lookup"):
    typed = st.text_input(t("lookup.ssin"), placeholder=t("lookup.ssin_placeholder"), key="lookup_input")
    submitted = st.form_submit_button(t("lookup.submit"), type="primary")

if submitted:
    ssin = "".join(ch for ch in typed if ch not in " .-/")
    problem = ssin_error(ssin)
    if problem:
        st.session_state.pop("lookup_ssin", None)
        st.error(t("lookup.invalid", typed=repr(typed), problem=SSIN_PROBLEMS.get(problem, problem)))
    else:
        st.session_state["lookup_ssin"] = ssin
        st.session_state["lookup_logged"] = False

ssin = st.session_state.get("lookup_ssin")
if ssin:
    beneficiary, partner = view.person(ssin)
    if not st.session_state.get("lookup_logged"):
        view.log_lookup(ssin, len(beneficiary) + len(partner))
        st.session_state["lookup_logged"] = True
    st.subheader(t("lookup.heading", ssin=ssin))
    months = pd.concat([beneficiary["month"], partner["month"]])
    if not months.empty:
        st.caption(t("lookup.whole_history", first=i18n.month_long(months.min()), last=i18n.month_long(months.max())))
    if beneficiary.empty and partner.empty:
        st.info(t("lookup.nothing"))
    columns = st.columns(3)
    columns[0].metric(t("lookup.months"), tables.count(beneficiary["month"].nunique()))
    columns[1].metric(t("lookup.total"), tables.euros(beneficiary["amount"].sum()))
    last = beneficiary.loc[beneficiary["is_last_indemnified_month"].fillna(False).astype(bool), "month"]
    columns[2].metric(t("lookup.last_month"), i18n.month_long(last.iloc[0]) if not last.empty else "–")
    if not beneficiary.empty:
        charts.draw(charts.monthly(beneficiary, "amount", "allowance_type", height=240))
        st.markdown(f"**{t('lookup.as_beneficiary')}**")
        tables.show(beneficiary, name=f"person-{ssin}-as-beneficiary", detail=DETAIL)
    if not partner.empty:
        st.markdown(f"**{t('lookup.as_partner')}**")
        tables.show(partner, name=f"person-{ssin}-as-partner", detail=DETAIL)
else:
    st.info(t("lookup.type_one"))

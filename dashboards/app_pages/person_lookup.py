"""Person lookup (SPP IS analysts only): the monthly amounts of one SSIN, as beneficiary and as partner.
Every lookup is logged.

It shows the person's whole history, whatever the sidebar's period, region, CPAS and allowance type, and says
so: a lookup answers a question about one case ("was this person helped, when, by which CPAS, with whom?"),
and a month left out by a filter would read as a month not paid. The filters are for the aggregates.
"""

import pandas as pd
import streamlit as st

from dashboards.lib import charts, tables, viewer
from kernel.identifiers import ssin_error

view = viewer.current()

st.title("Person lookup")
if not view.sees_people:  # not even registered for partners; and refused here all the same
    st.error("The person lookup is for SPP IS analysts only.")
    st.stop()
st.caption(
    f"Monthly amounts of one person in the snapshot of {view.snapshot.reference_date:%d %B %Y}: the whole "
    "history, every month, CPAS and allowance type; the sidebar's filters do not apply here. "
    "Each lookup is logged with your name."
)

with st.form("lookup"):
    typed = st.text_input("SSIN (national number)", placeholder="11 digits, e.g. 85073003328", key="lookup_input")
    submitted = st.form_submit_button("Look up", type="primary")

if submitted:
    ssin = "".join(ch for ch in typed if ch not in " .-/")
    problem = ssin_error(ssin)
    if problem:
        st.session_state.pop("lookup_ssin", None)
        st.error(f"SSIN {typed!r}: {problem}. Type the 11 digits (dots and dashes are ignored).")
    else:
        st.session_state["lookup_ssin"] = ssin
        st.session_state["lookup_logged"] = False

ssin = st.session_state.get("lookup_ssin")
if ssin:
    beneficiary, partner = view.person(ssin)
    if not st.session_state.get("lookup_logged"):
        view.log_lookup(ssin, len(beneficiary) + len(partner))
        st.session_state["lookup_logged"] = True
    st.subheader(f"SSIN {ssin}")
    months = pd.concat([beneficiary["month"], partner["month"]])
    if not months.empty:
        st.caption(
            f"Whole history: {months.min():%B %Y} – {months.max():%B %Y}, whatever the period chosen in the sidebar."
        )
    if beneficiary.empty and partner.empty:
        st.info("No amounts for this person in this snapshot (as beneficiary or as partner).")
    columns = st.columns(3)
    columns[0].metric("Months as beneficiary", tables.count(beneficiary["month"].nunique()))
    columns[1].metric("Total paid as beneficiary", tables.euros(beneficiary["amount"].sum()))
    last = beneficiary.loc[beneficiary["is_last_indemnified_month"].fillna(False).astype(bool), "month"]
    columns[2].metric("Last indemnified month", f"{last.iloc[0]:%B %Y}" if not last.empty else "–")
    if not beneficiary.empty:
        charts.draw(charts.monthly(beneficiary, "amount", "allowance_type", height=240))
        st.markdown("**As beneficiary**")
        tables.show(beneficiary, name=f"person-{ssin}-as-beneficiary")
    if not partner.empty:
        st.markdown("**As partner of a beneficiary**")
        tables.show(partner, name=f"person-{ssin}-as-partner")
else:
    st.info("Type an SSIN and press Look up.")

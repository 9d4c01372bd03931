"""Extracts: the periodic files released to their recipients (SPF Finances, yearly; the harmonised social
statuses' buffer database, monthly): what was produced, when, for whom, from which snapshot, and the control
figures each file ends with (equal to the marts' when it was released). SPP IS analysts only."""

import streamlit as st

from dashboards.lib import extracts, tables, viewer

view = viewer.current()

st.title("Extracts")
st.caption(
    "Files released under $LWW_HOME/extracts/out/<recipient>/ (FO. name, then its GO file). Each file's control "
    "block (records, people, total per allowance type) was checked against the marts before its release."
)
if not view.sees_people:
    st.stop()

produced = extracts.released()
if all(frame.empty for frame in produced.values()):
    st.info(
        "No extract has been released yet: `lww extract finances --year YYYY` or `lww extract ssh --month YYYY-MM` "
        "(or the finances_extract / ssh_extract jobs in the Dagster UI)."
    )
    st.stop()

for kind, title in extracts.KINDS.items():
    frame = produced[kind]
    st.subheader(title)
    if frame.empty:
        st.caption("None released yet.")
        continue
    latest = frame.iloc[0]
    columns = st.columns(3)
    columns[0].metric("Files released", tables.count(len(frame)))
    columns[1].metric("Latest period", latest["period"])
    columns[2].metric("Its people", tables.count(latest["people"]))
    tables.show(frame, name=f"extracts-{kind}", height=320)

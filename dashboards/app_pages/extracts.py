"""Extracts: the periodic files released to their recipients (SPF Finances, yearly; the harmonised social
statuses' buffer database, monthly): what was produced, when, for whom, from which snapshot, and the control
figures each file ends with (equal to the marts' when it was released). SPP IS analysts only."""

import streamlit as st

from dashboards.lib import extracts, tables, viewer
from dashboards.lib.i18n import t

MAIN = ("released_at", "period", "provisional", "records", "people", "total_living_wage", "new", "changed", "ended")

view = viewer.current()

st.title(t("nav.extracts"))
st.caption(t("extracts.caption"))
if not view.sees_people:
    st.stop()

produced = extracts.released()
if all(frame.empty for frame in produced.values()):
    st.info(t("extracts.none"))
    st.stop()

for kind in extracts.KINDS:
    frame = produced[kind]
    st.subheader(t(f"extracts.kind.{kind}"))
    if frame.empty:
        st.caption(t("extracts.none_of_kind"))
        continue
    latest = frame.iloc[0]
    columns = st.columns(3)
    columns[0].metric(t("extracts.files"), tables.count(len(frame)))
    columns[1].metric(t("extracts.latest_period"), latest["period"])
    columns[2].metric(t("extracts.its_people"), tables.count(latest["people"]))
    if "changes_against" in frame.columns:  # the statuses' first file is compared with the snapshot itself
        frame = frame.assign(
            changes_against=frame["changes_against"].replace(extracts.THIS_SNAPSHOT, t("extracts.this_snapshot"))
        )
    # What was released and its main control figures; the rest (recipient, file, snapshot, other totals) in the
    # expander under it: all of them side by side are twice as wide as the page.
    detail = [column for column in frame.columns if column not in MAIN]
    tables.show(frame, name=f"extracts-{kind}", height=320, detail=detail)

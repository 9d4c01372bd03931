"""Notifications: their delivery to the subscribed institutions, per subscriber (pending, late, parked), from the
notifier's own store. SPP IS analysts only (the parked ones name people)."""

import streamlit as st

from dashboards.lib import formats, notifications, tables, viewer
from dashboards.lib.i18n import t

view = viewer.current()

st.title(t("nav.notifications"))
st.caption(t("notifications.caption"))
if not view.sees_people:
    st.stop()

per_subscriber = notifications.per_subscriber(view.snapshot)
if per_subscriber is None:
    st.info(t("notifications.none"))
    st.stop()

columns = st.columns(4)
columns[0].metric(t("notifications.pending"), formats.count(per_subscriber["pending"].sum()))
columns[1].metric(
    t("notifications.late"), formats.count(per_subscriber["late"].sum()), help=t("notifications.late_help")
)
columns[2].metric(
    t("notifications.parked"),
    formats.count(per_subscriber["parked"].sum()),
    help=t("notifications.parked_help"),
)
columns[3].metric(t("notifications.delivered"), formats.count(per_subscriber["delivered"].sum()))

st.subheader(t("notifications.per_subscriber"))
tables.show(
    per_subscriber,
    name="notifications-per-subscriber",
    empty=t("notifications.no_subscriber"),
    detail=("cbe_number", "retrying", "next_attempt_at", "endpoint_url"),  # with them, wider than the page
)

parked = notifications.parked()
if not parked.empty:
    st.subheader(t("notifications.parked"))
    st.caption(t("notifications.parked_caption"))
    tables.show(parked, name="notifications-parked", height=320, detail=("right_id", "sequence", "event_type"))

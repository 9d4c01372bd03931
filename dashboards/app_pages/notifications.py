"""Notifications: their delivery to the subscribed institutions, per subscriber (pending, late, parked), from the
notifier's own store. SPP IS analysts only (the parked ones name people)."""

import streamlit as st

from dashboards.lib import formats, notifications, tables, viewer

view = viewer.current()

st.title("Notifications")
st.caption("Delivery of the notifications of rights created, modified or cancelled (LivingWagesNotifications).")
if not view.sees_people:
    st.stop()

per_subscriber = notifications.per_subscriber(view.snapshot)
if per_subscriber is None:
    st.info("No notifier has run yet: `lww notify` delivers what the last refresh made due.")
    st.stop()

columns = st.columns(4)
columns[0].metric("Pending", formats.count(per_subscriber["pending"].sum()))
columns[1].metric(
    "Late", formats.count(per_subscriber["late"].sum()), help="Pending for longer than LWW_NOTIFY_LATE_MINUTES."
)
columns[2].metric(
    "Parked", formats.count(per_subscriber["parked"].sum()), help="`lww notify --retry-parked` sends them again."
)
columns[3].metric("Delivered", formats.count(per_subscriber["delivered"].sum()))

st.subheader("Per subscriber")
tables.show(per_subscriber, name="notifications-per-subscriber")

parked = notifications.parked()
if not parked.empty:
    st.subheader("Parked")
    st.caption("Every attempt failed; after fixing the cause with the subscriber: `lww notify --retry-parked`.")
    tables.show(parked, name="notifications-parked", height=320)

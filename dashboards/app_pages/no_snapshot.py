"""Shown before the first publication: nothing to read yet, and what to do about it."""

import streamlit as st

from dashboards.lib.i18n import t

st.title(t("app.title"))
st.info(t("no_snapshot.info"))

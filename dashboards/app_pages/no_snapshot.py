"""Shown before the first publication: nothing to read yet, and what to do about it."""

import streamlit as st

st.title("Living wages – amounts")
st.info(
    "No published snapshot yet. Run `lww refresh` (or `lww demo`) so the pipeline publishes one; "
    "this page picks it up at the next reload."
)

"""Streamlit dashboards for the analysts: read-only views of the current published snapshot."""

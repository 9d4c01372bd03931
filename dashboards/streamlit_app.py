"""Entry point of the analysts' dashboards (``lww dashboards``, or ``streamlit run`` on this file).

Each run: find the current snapshot (a refresh or rollback shows at the next click), make sure someone is
signed in, draw the shared sidebar (snapshot, user, filters), then run the page chosen in the navigation.
Partner analysts get no person lookup page at all: it is not registered for them.
"""

from __future__ import annotations

import streamlit as st

from dashboards.lib import auth, session, sidebar
from dashboards.lib.snapshot import current_snapshot
from kernel.snapshots import SnapshotError

st.set_page_config(page_title="Living wages – amounts", page_icon=":material/payments:", layout="wide")

try:
    snapshot = current_snapshot()
except SnapshotError as error:  # CURRENT names a snapshot whose file or manifest is gone
    st.error(f"The published data cannot be read: {error}. Run `lww rollback` or `lww refresh`.")
    st.stop()
if snapshot is None:
    st.navigation([st.Page("app_pages/no_snapshot.py", title="No data yet")], position="hidden").run()
    st.stop()

user = session.signed_in_user()
if user is not None and not auth.still_valid(snapshot, user):
    session.sign_out()  # removed or changed in the newest reference data
    user = None
if user is None:
    sidebar.snapshot_box(snapshot)
    st.navigation([st.Page("app_pages/login.py", title="Sign in", icon=":material/login:")], position="hidden").run()
    st.stop()

sidebar.snapshot_box(snapshot)
sidebar.user_box(user)
selection = sidebar.filters(snapshot)
session.set_context(session.PageContext(snapshot, user, selection))

pages = {
    "Amounts": [
        st.Page("app_pages/overview.py", title="Overview", icon=":material/insights:", default=True),
        st.Page("app_pages/cpas_explorer.py", title="CPAS explorer", icon=":material/location_city:"),
        st.Page("app_pages/finality.py", title="Finality", icon=":material/hourglass_bottom:"),
    ],
    "Operations": [
        st.Page("app_pages/data_quality.py", title="Data quality", icon=":material/rule:"),
        st.Page("app_pages/consultations.py", title="Consultations", icon=":material/manage_search:"),
    ],
}
if user.may_look_up_people:
    pages["Personal data"] = [
        st.Page("app_pages/person_lookup.py", title="Person lookup", icon=":material/person_search:")
    ]
st.navigation(pages, expanded=True).run()

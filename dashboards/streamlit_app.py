"""Entry point of the analysts' dashboards (``lww dashboards``, or ``streamlit run`` on this file).

Each run: find the current snapshot (a refresh or rollback shows at the next click), make sure someone is
signed in, draw the shared sidebar (snapshot, user, filters), then run the page chosen in the navigation.
The pages, and which of them a user gets, are declared in ``dashboards.lib.navigation``.
"""

from __future__ import annotations

import streamlit as st

from dashboards.lib import auth, i18n, links, navigation, session, sidebar
from dashboards.lib.snapshot import current_snapshot
from kernel.snapshots import SnapshotError

st.set_page_config(page_title=i18n.t("app.title"), page_icon=":material/payments:", layout="wide")

try:
    snapshot = current_snapshot()
except SnapshotError as error:  # CURRENT names a snapshot whose file or manifest is gone
    st.error(i18n.t("app.unreadable", error=error))
    st.stop()
if snapshot is None:
    i18n.picker()
    navigation.alone(navigation.NO_SNAPSHOT)
    st.stop()

links.remember_request()  # the view a reload or a shared link asks for, kept through the sign-in
user = session.signed_in_user()
if user is not None and not auth.still_valid(snapshot, user):
    session.sign_out()  # removed or changed in the newest reference data
    user = None
i18n.picker()  # the language: chosen in the sidebar, kept in the session and the URL (?lang=)
if user is None:
    sidebar.snapshot_box(snapshot)
    navigation.sign_in_anywhere()
    st.stop()

sidebar.snapshot_box(snapshot)
sidebar.user_box(user)
selection = sidebar.filters(snapshot)
session.set_context(session.PageContext(snapshot, user, selection))

sections = navigation.navigation(user)
page = st.navigation(sections, expanded=True)
asked = links.requested_page({p.url_path: p for group in sections.values() for p in group})
if asked is not None and asked.url_path != page.url_path:
    st.switch_page(asked)  # a reload or a link opens the page it names (one of this user's pages only)
links.write(page.url_path, selection)
page.run()

"""What one browser session carries between runs and pages: the signed-in user, the filters, and the context
the entry point hands to the page it runs (session state is per session; module globals are shared by all)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboards.lib.auth import User
from dashboards.lib.filters import Filters
from dashboards.lib.i18n import LANG_KEY, t
from dashboards.lib.snapshot import SnapshotRef

USER_KEY = "lww_user"
CONTEXT_KEY = "lww_context"
FILTERS_KEY = "lww_filters"


@dataclass(frozen=True)
class PageContext:
    snapshot: SnapshotRef
    user: User
    filters: Filters


def signed_in_user() -> User | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, User) else None


def sign_in(user: User) -> None:
    st.session_state[USER_KEY] = user


def sign_out() -> None:
    """Forget the user and everything chosen: the next person at this browser starts afresh (in the language
    on the screen: the sign-in page stays readable)."""
    for key in list(st.session_state.keys()):
        if key != LANG_KEY:
            del st.session_state[key]


def set_context(context: PageContext) -> None:
    st.session_state[CONTEXT_KEY] = context


def page_context() -> PageContext:
    """The context of this run; a page opened without one (not signed in) stops there."""
    context = st.session_state.get(CONTEXT_KEY)
    if not isinstance(context, PageContext):
        st.warning(t("session.sign_in_first"))
        st.stop()
    return context

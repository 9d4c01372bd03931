"""Sign-in form: users and argon2id password hashes come from the snapshot's ``dashboard_users``; every attempt
goes through the throttle and into the record of sign-ins (``dashboards.lib.signins``)."""

import streamlit as st

from dashboards.lib import auth, session, signins
from dashboards.lib.i18n import t
from dashboards.lib.snapshot import current_snapshot

st.title(t("app.title"))
st.caption(t("login.caption"))

snapshot = current_snapshot()
with st.form("sign_in"):
    username = st.text_input(t("login.username"), key="login_username")
    password = st.text_input(t("login.password"), type="password", key="login_password")
    submitted = st.form_submit_button(t("login.submit"), type="primary")

if submitted and snapshot is not None:
    user = auth.sign_in(snapshot, username, password, signins.client_address())
    if isinstance(user, signins.Refusal):
        st.error(user.message(signins.clock()))
    elif user is None:
        st.error(t("login.wrong"))
    else:
        session.sign_in(user)
        st.rerun()

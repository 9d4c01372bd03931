"""Who may use the dashboards: the users of ``dashboard_users`` in the snapshot, argon2id password hashes.

Roles (CONTRACT §3): ``ANALYST`` (SPP IS staff: every page, including the person lookup) and
``PARTNER_ANALYST`` (a partner institution: aggregates only, small counts suppressed, no person lookup).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboards.lib import signins
from dashboards.lib.snapshot import SnapshotRef, query

ANALYST = "ANALYST"
PARTNER_ANALYST = "PARTNER_ANALYST"
ROLES = (ANALYST, PARTNER_ANALYST)

_HASHER = PasswordHasher()
# Verified when the user is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


@dataclass(frozen=True)
class User:
    username: str
    role: str
    cbe_number: str | None

    @property
    def is_partner(self) -> bool:
        return self.role != ANALYST

    @property
    def may_look_up_people(self) -> bool:
        return self.role == ANALYST


@st.cache_data(ttl=600, show_spinner=False)
def _users(ref: SnapshotRef) -> dict[str, tuple[str, str, str | None]]:
    frame = query(ref, "SELECT username, password_hash, role, cbe_number FROM dashboard_users")
    return {
        row.username: (row.password_hash, row.role, row.cbe_number if isinstance(row.cbe_number, str) else None)
        for row in frame.itertuples()
    }


def authenticate(ref: SnapshotRef, username: str, password: str) -> User | None:
    """The user when the name and password match and the role is known; None otherwise (no reason given)."""
    entry = _users(ref).get(username.strip())
    stored = entry[0] if entry else _DUMMY_HASH
    if not stored.startswith("$argon2id$"):  # only argon2id is accepted: a weaker or clear "hash" never matches
        stored, entry = _DUMMY_HASH, None
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if entry is None or entry[1] not in ROLES:
        return None
    return User(username.strip(), entry[1], entry[2])


def sign_in(ref: SnapshotRef, username: str, password: str, address: str | None) -> User | signins.Refusal | None:
    """One sign-in attempt through the throttle (:mod:`dashboards.lib.signins`), recorded whatever its outcome:
    the user, a :class:`~dashboards.lib.signins.Refusal` when it must wait (the password is then not checked),
    or None for an unknown name or a wrong password."""
    found: list[User] = []

    def check() -> bool:
        user = authenticate(ref, username, password)
        found.extend([user] if user is not None else [])
        return user is not None

    outcome = signins.attempt(username, address, check)
    if isinstance(outcome, signins.Refusal):
        return outcome
    return found[0] if found else None


def still_valid(ref: SnapshotRef, user: User) -> bool:
    """Whether the logged-in user still exists with the same role in the (possibly newer) snapshot."""
    entry = _users(ref).get(user.username)
    return entry is not None and entry[1] == user.role and entry[2] == user.cbe_number

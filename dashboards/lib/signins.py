"""Sign-in throttling and the record of every sign-in to the dashboards, failed or not.

One small SQLite file under ``$LWW_HOME/logs/`` holds both: every attempt (when, who, from which address when
known, outcome) is a row, written and committed before the answer is shown, and the throttle is read from those
rows. So every Streamlit session of the process, every process on the host and the app after a restart see the
same failures and the same lock (a per-session or in-memory counter would be reset by a new tab or a restart).

Per username and per address, failures within :data:`WINDOW` seconds count (a successful sign-in clears the
username's, never the address's: one's own account must not reset a guessing address):

- from the :data:`DELAY_AFTER`-th failure on, the next attempt must wait a delay that doubles with each failure
  (2 s, 4 s, 8 s, ... up to :data:`MAX_DELAY`);
- from the :data:`LOCK_AFTER`-th failure on, the username or address is locked for :data:`LOCK_SECONDS` after
  its latest failure.

An attempt during a wait or a lock is refused before the password is checked (so a locked account cannot be
probed), recorded with its outcome, and not counted as a failure (the lock does not grow forever under a flood).
The address is the connection's own (``st.context.ip_address``, ``None`` on the loopback); forwarding headers
are not trusted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kernel.settings import settings

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"  # unknown username or wrong password (the two are not told apart)
THROTTLED = "THROTTLED"  # too soon after the previous failures: refused unchecked
LOCKED = "LOCKED"  # too many failures: refused unchecked until the lock ends
OUTCOMES = (SUCCEEDED, FAILED, THROTTLED, LOCKED)

WINDOW = 3600  # seconds over which failures count
DELAY_AFTER = 3
MAX_DELAY = 60
LOCK_AFTER = 10
LOCK_SECONDS = 900
FILE_NAME = "dashboard-signins.sqlite"

# The time source (seconds since the epoch); the tests move it forward instead of sleeping.
clock: Callable[[], float] = time.time

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signins (
    at REAL NOT NULL,          -- seconds since the epoch (UTC)
    username TEXT NOT NULL,    -- as typed (trimmed): an unknown name is recorded too
    address TEXT,              -- the connection's IP address, NULL when unknown (loopback)
    outcome TEXT NOT NULL CHECK (outcome IN ('SUCCEEDED', 'FAILED', 'THROTTLED', 'LOCKED'))
);
CREATE INDEX IF NOT EXISTS signins_by_username ON signins (username, at);
CREATE INDEX IF NOT EXISTS signins_by_address ON signins (address, at);
"""


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before its password is checked, and until when (seconds since the epoch)."""

    outcome: str  # THROTTLED or LOCKED
    until: float

    def message(self, now: float) -> str:
        wait = max(1, round(self.until - now))
        from dashboards.lib.i18n import t

        if self.outcome == LOCKED:
            return t("login.locked", minutes=wait // 60 + (wait % 60 > 0))
        return t("login.throttled", seconds=wait)


def client_address() -> str | None:
    """The address of this session's connection (None on the loopback, or where the runtime gives none)."""
    import streamlit as st

    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def path() -> Path:
    return settings().logs / FILE_NAME


@contextlib.contextmanager
def _store() -> Iterator[sqlite3.Connection]:
    """A connection per use (sessions run in threads; SQLite serialises the writers across processes)."""
    file = path()
    file.parent.mkdir(parents=True, exist_ok=True)
    if not file.exists():  # usernames and addresses: readable by the service account only
        with contextlib.suppress(FileExistsError):
            os.close(os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    connection = sqlite3.connect(file, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")  # a committed attempt survives a crash of the host
        connection.executescript(_SCHEMA)
        yield connection
    finally:
        connection.close()


def _failures(connection: sqlite3.Connection, column: str, value: str, now: float) -> tuple[int, float]:
    """Failures of ``column`` = ``value`` within the window (since the last success, for a username), and
    the time of the latest."""
    since = now - WINDOW
    if column == "username":
        (success,) = connection.execute(
            "SELECT max(at) FROM signins WHERE username = ? AND outcome = 'SUCCEEDED'", (value,)
        ).fetchone()
        since = max(since, success or since)
    count, latest = connection.execute(
        f"SELECT count(*), max(at) FROM signins WHERE {column} = ? AND outcome = 'FAILED' AND at > ?",
        (value, since),
    ).fetchone()
    return count, latest or 0.0


def refusal_for(failures: int, latest: float, now: float) -> Refusal | None:
    """The policy: how long after ``failures`` failures (the latest at ``latest``) an attempt must wait."""
    if failures >= LOCK_AFTER and now < latest + LOCK_SECONDS:
        return Refusal(LOCKED, latest + LOCK_SECONDS)
    if failures >= DELAY_AFTER:
        delay = min(MAX_DELAY, 2 ** (failures - DELAY_AFTER + 1))
        if now < latest + delay:
            return Refusal(THROTTLED, latest + delay)
    return None


def _refusal(connection: sqlite3.Connection, username: str, address: str | None, now: float) -> Refusal | None:
    refusals = [refusal_for(*_failures(connection, "username", username, now), now)]
    if address is not None:
        refusals.append(refusal_for(*_failures(connection, "address", address, now), now))
    found = [r for r in refusals if r is not None]
    return max(found, key=lambda r: (r.outcome == LOCKED, r.until)) if found else None


def attempt(username: str, address: str | None, check: Callable[[], bool]) -> Refusal | bool:
    """Run ``check`` (the password verification) unless the username or address must wait; record the attempt.

    Returns the :class:`Refusal` when the attempt was refused unchecked, else whether ``check`` succeeded. The
    record is committed before this returns, so nobody is signed in without a trace.
    """
    username = username.strip()
    with _store() as connection:
        now = clock()
        refusal = _refusal(connection, username, address, now)
        if refusal is not None:
            _record(connection, now, username, address, refusal.outcome)
            return refusal
        succeeded = check()
        _record(connection, clock(), username, address, SUCCEEDED if succeeded else FAILED)
        return succeeded


def _record(connection: sqlite3.Connection, at: float, username: str, address: str | None, outcome: str) -> None:
    connection.execute(
        "INSERT INTO signins (at, username, address, outcome) VALUES (?, ?, ?, ?)", (at, username, address, outcome)
    )


def recent(limit: int = 500) -> pd.DataFrame:
    """The latest sign-ins, newest first (for SPP IS analysts: usernames and addresses are personal data)."""
    columns = ["attempted_at", "username", "address", "outcome"]
    if not path().exists():
        return pd.DataFrame(columns=columns)
    with _store() as connection:
        rows = connection.execute(
            "SELECT at, username, address, outcome FROM signins ORDER BY at DESC, rowid DESC LIMIT ?", (limit,)
        ).fetchall()
    frame = pd.DataFrame(rows, columns=columns)
    frame["attempted_at"] = [
        dt.datetime.fromtimestamp(at, dt.UTC).replace(microsecond=0) for at in frame["attempted_at"]
    ]
    return frame


def refused_now(username: str, address: str | None = None) -> Refusal | None:
    """Whether an attempt for ``username`` (from ``address``) would be refused unchecked now."""
    with _store() as connection:
        return _refusal(connection, username.strip(), address, clock())

"""The notifier's delivery state as its readers see it: where the store is and what they may read from it.

The notifier (``service.notifications.store``) is the one writer of
``$LWW_HOME/notifications/notifications.sqlite3``; ``lww notify --status`` and the dashboards read it here, read-only
and at any time (SQLite in WAL mode: a reader never blocks the writer), as they read published snapshots through
``kernel.snapshots``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Any

from kernel.settings import env_number

FILE_NAME = "notifications.sqlite3"


def path_in(folder: Path) -> Path:
    return folder / FILE_NAME


def late_minutes() -> float:
    """``LWW_NOTIFY_LATE_MINUTES`` (default 60): a notification pending this long after its import is late."""
    return float(env_number("LWW_NOTIFY_LATE_MINUTES", 60.0, minimum=0.0))


def open_read_only(folder: Path) -> sqlite3.Connection | None:
    """A read-only connection to the store in ``folder``, or None when no notifier has run there yet."""
    path = path_in(folder)
    if not path.exists():
        return None
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=10)
    connection.row_factory = sqlite3.Row
    return connection


STATUS_SQL = """
SELECT recipient,
       max(endpoint_url) AS endpoint_url,
       sum(state = 'pending') AS pending,
       sum(state = 'pending' AND imported_at < :late_before) AS late,
       sum(state = 'pending' AND attempts > 0) AS retrying,
       sum(state = 'delivered') AS delivered,
       sum(state = 'parked') AS parked,
       max(delivered_at) AS last_delivered_at,
       min(CASE WHEN state = 'pending' THEN next_attempt_at END) AS next_attempt_at
FROM notifications
GROUP BY recipient
ORDER BY recipient
"""


def status(connection: sqlite3.Connection, *, late_minutes: float, now: float | None = None) -> list[dict[str, Any]]:
    """Per subscriber: pending (of which late: imported more than ``late_minutes`` ago; retrying: failed at
    least once), delivered, parked, the last delivery and the next attempt."""
    late_before = (now or time.time()) - late_minutes * 60
    return [dict(row) for row in connection.execute(STATUS_SQL, {"late_before": late_before})]


def parked(connection: sqlite3.Connection, limit: int = 200) -> list[dict[str, Any]]:
    """The parked notifications, oldest first, with their last error."""
    rows = connection.execute(
        "SELECT ticket, recipient, right_id, sequence, event_type, ssin, attempts, last_outcome, last_error "
        "FROM notifications WHERE state = 'parked' ORDER BY imported_at, ticket LIMIT ?",
        (limit,),
    )
    return [dict(row) for row in rows]


def attempts_of(connection: sqlite3.Connection, ticket: str) -> list[dict[str, Any]]:
    return [dict(r) for r in connection.execute("SELECT * FROM attempts WHERE ticket = ? ORDER BY attempt", (ticket,))]


def iso(epoch: float | None) -> str:
    return "" if not epoch else dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds")

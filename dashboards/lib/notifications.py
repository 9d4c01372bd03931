"""The delivery of notifications, for operators: read from the notifier's own store (``kernel.delivery_state``,
read-only; the notifier keeps writing meanwhile), with the subscribers' names from the snapshot."""

from __future__ import annotations

import pandas as pd

from dashboards.lib.snapshot import SnapshotRef, query
from kernel import delivery_state as store
from kernel.settings import settings


def _names(ref: SnapshotRef) -> dict[str, str]:
    frame = query(ref, "SELECT cbe_number, name FROM dim_institutions")
    return dict(zip(frame["cbe_number"], frame["name"], strict=True))


def per_subscriber(ref: SnapshotRef) -> pd.DataFrame | None:
    """Per subscriber: pending (late: imported more than ``LWW_NOTIFY_LATE_MINUTES`` ago; retrying: failed at
    least once), delivered, parked, the last delivery and the next attempt (UTC). None before any notifier ran."""
    connection = store.open_read_only(settings().notifications)
    if connection is None:
        return None
    with connection:
        rows = store.status(connection, late_minutes=store.late_minutes())
    names = _names(ref)
    frame = pd.DataFrame(
        [
            {
                "subscriber": names.get(row["recipient"], row["recipient"]),
                "cbe_number": row["recipient"],
                "pending": row["pending"],
                "late": row["late"],
                "retrying": row["retrying"],
                "parked": row["parked"],
                "delivered": row["delivered"],
                "last_delivered_at": store.iso(row["last_delivered_at"]),
                "next_attempt_at": store.iso(row["next_attempt_at"]),
                "endpoint_url": row["endpoint_url"],
            }
            for row in rows
        ],
        columns=[
            "subscriber",
            "cbe_number",
            "pending",
            "late",
            "retrying",
            "parked",
            "delivered",
            "last_delivered_at",
            "next_attempt_at",
            "endpoint_url",
        ],
    )
    return frame


def parked(limit: int = 500) -> pd.DataFrame:
    """The parked notifications with their last error (personal data: the SSIN): ``lww notify --retry-parked``."""
    connection = store.open_read_only(settings().notifications)
    if connection is None:
        return pd.DataFrame()
    with connection:
        return pd.DataFrame(store.parked(connection, limit=limit))

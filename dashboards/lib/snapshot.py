"""The one published snapshot the dashboards read, and the read-only connection to it.

Nothing is opened at import time. Every script run reads the small ``CURRENT`` pointer; a switch gives a new
:class:`SnapshotRef`, hence a new connection and new cache keys, so a refresh or a rollback shows at the next
click without restarting the app. Query results are cached per snapshot id by the callers (``st.cache_data``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from kernel import snapshots
from kernel.calendar import cutoff
from kernel.settings import settings


@dataclass(frozen=True)
class SnapshotRef:
    """What identifies a snapshot for caching: its id and file (hashable, cheap to pass to cached functions)."""

    refresh_id: str
    path: str
    reference_date: dt.date

    @property
    def cutoff_date(self) -> dt.date:
        return cutoff(self.reference_date)


def current_snapshot() -> SnapshotRef | None:
    """The snapshot CURRENT points at now (re-read at every run: a file of one line), or None before any."""
    snapshot = snapshots.current(settings().published)
    if snapshot is None:
        return None
    return SnapshotRef(snapshot.refresh_id, str(snapshot.path), snapshot.reference_date)


@st.cache_resource(max_entries=2, show_spinner=False)
def _database(path: str) -> duckdb.DuckDBPyConnection:
    """One read-only DuckDB per snapshot file, kept open so its buffer cache stays warm.

    Two entries: the current snapshot and the one just replaced, whose sessions may still be finishing a run.
    """
    return duckdb.connect(path, read_only=True)


def query(ref: SnapshotRef, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """Run a parameterised query on the snapshot; amounts come back as exact ``Decimal`` values.

    A cursor per call: DuckDB connections are not thread-safe and Streamlit runs each session in a thread.
    Arrow keeps DECIMAL exact (a DataFrame straight from DuckDB would turn amounts into floats).
    """
    cursor = _database(ref.path).cursor()
    try:
        return cursor.sql(sql, params=list(params)).to_arrow_table().to_pandas()
    finally:
        cursor.close()

"""Queries of the Consultations page, on the audit log of the consultation service (``consultations``).

A consultation has its own time axis: the page chooses the days it shows (:func:`default_days`: the last 30
days up to today, UTC like ``logged_at``), and none of the sidebar's filters applies (the benefit months end at
the last month paid, consultations go on up to the refresh; they concern institutions, not CPAS or allowances).
A partner analyst sees the consultations of his own institution only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboards.lib.amounts import TTL
from dashboards.lib.snapshot import SnapshotRef, query

DEFAULT_DAYS = 30
# The first and the last day shown, both included (UTC dates of ``logged_at``).
Days = tuple[dt.date, dt.date]

# An answer is a refusal when the service did not answer with data or a clean "nothing found".
ANSWERED = ("DATA_FOUND", "NO_DATA_FOUND")
REFUSED = f"(status_value IS NULL OR status_value NOT IN {ANSWERED!r})"  # a fault has no status value


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def default_days(on: dt.date | None = None) -> Days:
    """The last :data:`DEFAULT_DAYS` days up to ``on`` (today), both included."""
    last = on or today()
    return last - dt.timedelta(days=DEFAULT_DAYS - 1), last


def _where(days: Days, institution: str | None) -> tuple[str, list[object]]:
    first, last = days
    where = "logged_at >= ? AND logged_at < ?"
    params: list[object] = [first, last + dt.timedelta(days=1)]
    if institution is not None:
        where += " AND cbe_number = ?"
        params.append(institution)
    return where, params


@st.cache_data(ttl=TTL, show_spinner=False)
def per_institution(ref: SnapshotRef, days: Days, institution: str | None) -> pd.DataFrame:
    where, params = _where(days, institution)
    return query(
        ref,
        f"""
        SELECT coalesce(institution_name, cbe_number) AS institution, cbe_number, operation,
               count(*) AS requests,
               count(*) FILTER (WHERE {REFUSED})
                   AS refusals
        FROM consultations WHERE {where} GROUP BY ALL ORDER BY requests DESC, institution, operation
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def refusals(ref: SnapshotRef, days: Days, institution: str | None) -> pd.DataFrame:
    """Answers other than data / no data: by status value and code (and HTTP status for faults)."""
    where, params = _where(days, institution)
    return query(
        ref,
        f"""
        SELECT coalesce(status_value, 'FAULT') AS status_value, coalesce(status_code, '') AS status_code,
               http_status, count(*) AS requests
        FROM consultations
        WHERE {where} AND {REFUSED}
        GROUP BY ALL ORDER BY requests DESC
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def latency(ref: SnapshotRef, days: Days, institution: str | None) -> pd.DataFrame:
    """Response time per operation: median, 95th percentile and maximum, in milliseconds."""
    where, params = _where(days, institution)
    return query(
        ref,
        f"""
        SELECT coalesce(operation, '(unknown)') AS operation, count(*) AS requests,
               round(quantile_cont(duration_ms, 0.5), 1) AS p50_ms,
               round(quantile_cont(duration_ms, 0.95), 1) AS p95_ms,
               round(max(duration_ms), 1) AS max_ms
        FROM consultations WHERE {where} GROUP BY ALL ORDER BY requests DESC
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def daily(ref: SnapshotRef, days: Days, institution: str | None) -> pd.DataFrame:
    where, params = _where(days, institution)
    return query(
        ref,
        f"""
        SELECT logged_at::DATE AS day, count(*) AS requests,
               count(*) FILTER (WHERE {REFUSED})
                   AS refusals
        FROM consultations WHERE {where} GROUP BY ALL ORDER BY day
        """,
        params,
    )

"""Queries of the Consultations page, on the audit log of the consultation service (``consultations``).

Only the period applies (consultations concern institutions, not CPAS or allowances). A partner analyst sees
the consultations of his own institution only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib.amounts import TTL
from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import SnapshotRef, query

# An answer is a refusal when the service did not answer with data or a clean "nothing found".
ANSWERED = ("DATA_FOUND", "NO_DATA_FOUND")
REFUSED = f"(status_value IS NULL OR status_value NOT IN {ANSWERED!r})"  # a fault has no status value


def _where(filters: Filters, institution: str | None) -> tuple[str, list[object]]:
    where, params = filters.clause(month="date_trunc('month', logged_at)", pcsa=None, allowance=None)
    if institution is not None:
        where += " AND cbe_number = ?"
        params.append(institution)
    return where, params


@st.cache_data(ttl=TTL, show_spinner=False)
def per_institution(ref: SnapshotRef, filters: Filters, institution: str | None) -> pd.DataFrame:
    where, params = _where(filters, institution)
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
def refusals(ref: SnapshotRef, filters: Filters, institution: str | None) -> pd.DataFrame:
    """Answers other than data / no data: by status value and code (and HTTP status for faults)."""
    where, params = _where(filters, institution)
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
def latency(ref: SnapshotRef, filters: Filters, institution: str | None) -> pd.DataFrame:
    """Response time per operation: median, 95th percentile and maximum, in milliseconds."""
    where, params = _where(filters, institution)
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
def daily(ref: SnapshotRef, filters: Filters, institution: str | None) -> pd.DataFrame:
    where, params = _where(filters, institution)
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

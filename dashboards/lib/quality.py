"""Queries of the Data quality page: rejections, open rejections by age, late rights, payments outside any
right, quarantined files. Each reads its own small ``dq_*`` table of the snapshot."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib.amounts import PCSA_NAME, TTL
from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import SnapshotRef, query

# Rights only know the two aids; an advance on family allowances is never a right.
RIGHT_CATEGORY_OF = {"LIVING_WAGE": "LIVING_WAGE", "EQUIVALENT_LIVING_WAGE": "EQUIVALENT_LIVING_WAGE"}


@st.cache_data(ttl=TTL, show_spinner=False)
def rejections_by_code(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Rejected lines per rejection code, by the month SPP IS decided (acceptance month)."""
    where, params = filters.clause(month="acceptance_month")
    return query(
        ref,
        f"""
        SELECT rejection_code, sum(lines)::BIGINT AS lines, sum(amount)::DECIMAL(18,2) AS amount
        FROM dq_rejections WHERE {where} GROUP BY ALL ORDER BY lines DESC, rejection_code
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def rejections_by_pcsa(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Rejected lines per CPAS and code; the CPAS with most rejections first."""
    where, params = filters.clause(month="a.acceptance_month", pcsa="a.pcsa_cbe_number", allowance="a.allowance_type")
    return query(
        ref,
        f"""
        SELECT a.pcsa_cbe_number, {PCSA_NAME.format(cbe="a.pcsa_cbe_number")} AS pcsa_name,
               a.rejection_code, sum(a.lines)::BIGINT AS lines, sum(a.amount)::DECIMAL(18,2) AS amount
        FROM dq_rejections a LEFT JOIN dim_pcsa p ON p.cbe_number = a.pcsa_cbe_number
        WHERE {where} GROUP BY a.pcsa_cbe_number, pcsa_name, a.rejection_code
        ORDER BY sum(sum(a.lines)) OVER (PARTITION BY a.pcsa_cbe_number) DESC, a.pcsa_cbe_number, lines DESC
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def open_rejections_by_age(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Open rejections (current rejected lines) per age of their month at R; from 6 months on, abandoned."""
    where, params = filters.clause()
    return query(
        ref,
        f"""
        SELECT age_months, bool_or(is_abandoned) AS is_abandoned, count(*) AS lines,
               count(DISTINCT ssin) AS beneficiaries, sum(amount)::DECIMAL(18,2) AS amount
        FROM dq_open_rejections WHERE {where} GROUP BY age_months ORDER BY age_months
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def open_rejections(ref: SnapshotRef, filters: Filters, limit: int = 1000) -> pd.DataFrame:
    """The open rejections themselves, oldest first (person-level: internal analysts only)."""
    where, params = filters.clause()
    return query(
        ref,
        f"""
        SELECT line_id, ssin, month, pcsa_cbe_number, allowance_type, rejection_code, amount, age_months,
               is_abandoned
        FROM dq_open_rejections WHERE {where} ORDER BY age_months DESC, month, line_id LIMIT ?
        """,
        [*params, limit],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def late_rights(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Right events per month of registration: how many decisions came after 30 days, registrations after 7."""
    where, params = filters.clause(
        month="date_trunc('month', registration_date)",
        allowance="category",
        allowances_map=RIGHT_CATEGORY_OF,
    )
    return query(
        ref,
        f"""
        SELECT date_trunc('month', registration_date)::DATE AS month, count(*) AS events,
               count(*) FILTER (WHERE is_late_decision) AS late_decisions,
               count(*) FILTER (WHERE is_late_registration) AS late_registrations,
               round(avg(decision_delay_days), 1)::DOUBLE AS avg_decision_days,
               round(avg(registration_delay_days), 1)::DOUBLE AS avg_registration_days
        FROM right_events WHERE {where} GROUP BY ALL ORDER BY month
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def late_rights_by_pcsa(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Per CPAS: late decisions and late registrations over the period, worst first."""
    where, params = filters.clause(
        month="date_trunc('month', e.registration_date)",
        pcsa="e.pcsa_cbe_number",
        allowance="e.category",
        allowances_map=RIGHT_CATEGORY_OF,
    )
    return query(
        ref,
        f"""
        SELECT e.pcsa_cbe_number, {PCSA_NAME.format(cbe="e.pcsa_cbe_number")} AS pcsa_name,
               count(*) AS events,
               count(*) FILTER (WHERE e.is_late_decision) AS late_decisions,
               count(*) FILTER (WHERE e.is_late_registration) AS late_registrations
        FROM right_events e LEFT JOIN dim_pcsa p ON p.cbe_number = e.pcsa_cbe_number
        WHERE {where} GROUP BY ALL
        HAVING count(*) FILTER (WHERE e.is_late_decision OR e.is_late_registration) > 0
        ORDER BY late_decisions + late_registrations DESC, e.pcsa_cbe_number
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def payments_outside_rights(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Per CPAS: current accepted lines whose days fall outside every active right (a signal, not a filter)."""
    where, params = filters.clause(month="o.month", pcsa="o.pcsa_cbe_number", allowance="o.allowance_type")
    return query(
        ref,
        f"""
        SELECT o.pcsa_cbe_number, {PCSA_NAME.format(cbe="o.pcsa_cbe_number")} AS pcsa_name,
               count(*) AS lines, count(DISTINCT o.ssin) AS beneficiaries,
               sum(o.days_outside)::BIGINT AS days_outside, sum(o.amount)::DECIMAL(18,2) AS amount
        FROM dq_payments_outside_rights o LEFT JOIN dim_pcsa p ON p.cbe_number = o.pcsa_cbe_number
        WHERE {where} GROUP BY ALL ORDER BY lines DESC, o.pcsa_cbe_number
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def quarantined_files(ref: SnapshotRef) -> pd.DataFrame:
    """Every quarantined upstream file with its reason, newest first (not filtered: they concern no CPAS)."""
    return query(
        ref,
        """
        SELECT quarantined_at, kind, file_name, file_id, reason, line_no, field, errors, released_at
        FROM quarantined_files ORDER BY quarantined_at DESC, file_name
        """,
    )


def final_moves_accepted(ref: SnapshotRef) -> dict | None:
    """The operator's decision recorded in the snapshot's manifest when it was published although months that
    were FINAL moved beyond the threshold (``lww refresh --accept-final-moves``): who, when, why, which months;
    None for a snapshot published without one."""
    from kernel import snapshots
    from kernel.settings import settings

    try:
        manifest = snapshots.load(settings().published, ref.refresh_id).manifest
    except snapshots.SnapshotError:
        return None
    return manifest.get("final_moves_accepted")

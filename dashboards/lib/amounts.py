"""Queries on amounts: the Overview, CPAS explorer and Finality pages.

All read ``agg_monthly_pcsa`` (one row per month, CPAS, allowance type, household category, finality status)
or ``amount_history``: never the 15 years of person-month rows. "Beneficiaries" summed over CPAS, allowance
types or categories counts a person once per cell (a person who moves CPAS within a month counts twice): the
captions say so.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import SnapshotRef, query

TTL = 900
# "Gent / Gand": Dutch then French name when they differ; the CBE number when the CPAS is unknown.
PCSA_NAME = (
    "CASE WHEN p.name_nl IS NULL OR p.name_nl = p.name_fr THEN coalesce(p.name_fr, p.name_nl, {cbe}) "
    "WHEN p.name_fr IS NULL THEN p.name_nl ELSE p.name_nl || ' / ' || p.name_fr END"
)
BREAKDOWNS = ("allowance_type", "household_category", "region", "finality_status")


@st.cache_data(ttl=TTL, show_spinner=False)
def available_months(ref: SnapshotRef) -> list[dt.date]:
    frame = query(ref, "SELECT DISTINCT month FROM agg_monthly_pcsa ORDER BY month")
    return list(frame["month"])


def pcsa_name_sql(lang: str, cbe: str = "p.cbe_number") -> str:
    """The SQL of a CPAS's name (``dim_pcsa p``) in ``lang``: its French or Dutch name (the other one when it has
    only that); in English, the name in its region's language ("Gent", "Namur"), and in Brussels both when they
    differ ("Ixelles / Elsene"); the CBE number when the CPAS is unknown."""
    french, dutch = f"coalesce(p.name_fr, p.name_nl, {cbe})", f"coalesce(p.name_nl, p.name_fr, {cbe})"
    if lang == "fr":
        return french
    if lang == "nl":
        return dutch
    both = (
        f"CASE WHEN p.name_nl IS NULL OR p.name_fr IS NULL OR p.name_nl = p.name_fr THEN {french} "
        "ELSE p.name_fr || ' / ' || p.name_nl END"
    )
    return f"CASE p.region WHEN 'FLANDERS' THEN {dutch} WHEN 'WALLONIA' THEN {french} ELSE {both} END"


@st.cache_data(ttl=TTL, show_spinner=False)
def pcsa_directory(ref: SnapshotRef, lang: str) -> pd.DataFrame:
    """Every CPAS with its name in ``lang`` (:func:`pcsa_name_sql`) for pickers and tables, by name."""
    return query(
        ref,
        f"SELECT p.cbe_number, p.region, {pcsa_name_sql(lang)} AS pcsa_name FROM dim_pcsa p ORDER BY pcsa_name",
    )


def named(frame: pd.DataFrame, ref: SnapshotRef, lang: str) -> pd.DataFrame:
    """``frame`` with its ``pcsa_name`` column in ``lang`` (by its ``pcsa_cbe_number``); ``frame`` itself when it
    has no such column. The queries name a CPAS in one way (:data:`PCSA_NAME`); the page shows the viewer's."""
    if "pcsa_name" not in frame.columns or "pcsa_cbe_number" not in frame.columns or frame.empty:
        return frame
    directory = pcsa_directory(ref, lang)
    names = dict(zip(directory["cbe_number"], directory["pcsa_name"], strict=True))
    renamed = frame.copy()  # keeps attrs (the viewer's marks of withheld cells)
    renamed["pcsa_name"] = [
        names.get(cbe, name) for cbe, name in zip(renamed["pcsa_cbe_number"], renamed["pcsa_name"], strict=True)
    ]
    return renamed


@st.cache_data(ttl=TTL, show_spinner=False)
def totals(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """One row: amount, amount already FINAL, beneficiary-months (all and FINAL), months, over the selection."""
    where, params = filters.clause(region="region")
    return query(
        ref,
        f"""
        SELECT coalesce(sum(amount), 0)::DECIMAL(18,2) AS amount,
               coalesce(sum(amount) FILTER (WHERE finality_status = 'FINAL'), 0)::DECIMAL(18,2) AS final_amount,
               coalesce(sum(beneficiaries), 0)::BIGINT AS beneficiary_months,
               coalesce(sum(beneficiaries) FILTER (WHERE finality_status = 'FINAL'), 0)::BIGINT
                   AS final_beneficiary_months,
               count(DISTINCT month) AS months
        FROM agg_monthly_pcsa WHERE {where}
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def monthly_by(ref: SnapshotRef, filters: Filters, dimension: str) -> pd.DataFrame:
    """Amount and beneficiaries per month and ``dimension`` (one of BREAKDOWNS)."""
    if dimension not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {dimension!r}: expected one of {BREAKDOWNS}")
    where, params = filters.clause(region="region")
    return query(
        ref,
        f"""
        SELECT month, {dimension}, sum(beneficiaries)::BIGINT AS beneficiaries,
               sum(amount)::DECIMAL(18,2) AS amount
        FROM agg_monthly_pcsa WHERE {where}
        GROUP BY ALL ORDER BY month, {dimension}
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def year_on_year(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Each month of the selection beside the same month a year before (same region, CPAS, allowances)."""
    where, params = filters.clause(region="region")
    where_before, params_before = filters.shifted(-12).clause(region="region")
    return query(
        ref,
        f"""
        WITH now AS (
            SELECT month, sum(beneficiaries) AS beneficiaries, sum(amount) AS amount
            FROM agg_monthly_pcsa WHERE {where} GROUP BY month
        ), before AS (
            SELECT (month + INTERVAL 12 MONTH)::DATE AS month, sum(beneficiaries) AS beneficiaries,
                   sum(amount) AS amount
            FROM agg_monthly_pcsa WHERE {where_before} GROUP BY month
        )
        SELECT now.month,
               now.beneficiaries::BIGINT AS beneficiaries,
               before.beneficiaries::BIGINT AS beneficiaries_year_before,
               round(now.beneficiaries / nullif(before.beneficiaries, 0) - 1, 4)::DOUBLE AS beneficiaries_change,
               now.amount::DECIMAL(18,2) AS amount,
               before.amount::DECIMAL(18,2) AS amount_year_before,
               round(now.amount / nullif(before.amount, 0) - 1, 4)::DOUBLE AS amount_change
        FROM now LEFT JOIN before USING (month) ORDER BY month
        """,
        [*params, *params_before],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def pcsa_ranking(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """One row per CPAS of the selection, ranked by amount: the CPAS explorer's comparison table."""
    where, params = filters.clause(
        month="a.month", pcsa="a.pcsa_cbe_number", region="a.region", allowance="a.allowance_type"
    )
    return query(
        ref,
        f"""
        SELECT rank() OVER (ORDER BY sum(a.amount) DESC) AS rank,
               a.pcsa_cbe_number, {PCSA_NAME.format(cbe="a.pcsa_cbe_number")} AS pcsa_name, a.region,
               sum(a.amount)::DECIMAL(18,2) AS amount,
               sum(a.beneficiaries)::BIGINT AS beneficiary_months,
               round(sum(a.beneficiaries) / count(DISTINCT a.month), 1)::DOUBLE AS avg_beneficiaries,
               (sum(a.amount) / nullif(sum(a.beneficiaries), 0))::DECIMAL(18,2) AS avg_amount,
               round(sum(a.partial_rows) / nullif(sum(a.rows), 0), 4)::DOUBLE AS partial_share,
               round(sum(a.rejected_lines) / nullif(sum(a.accepted_lines) + sum(a.rejected_lines), 0), 4)::DOUBLE
                   AS rejection_rate
        FROM agg_monthly_pcsa a LEFT JOIN dim_pcsa p ON p.cbe_number = a.pcsa_cbe_number
        WHERE {where}
        GROUP BY ALL
        ORDER BY rank, a.pcsa_cbe_number
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def pcsa_monthly(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Per month and CPAS of the selection (the CPAS explorer draws one line per chosen CPAS)."""
    where, params = filters.clause(
        month="a.month", pcsa="a.pcsa_cbe_number", region="a.region", allowance="a.allowance_type"
    )
    return query(
        ref,
        f"""
        SELECT a.month, a.pcsa_cbe_number, {PCSA_NAME.format(cbe="a.pcsa_cbe_number")} AS pcsa_name,
               sum(a.beneficiaries)::BIGINT AS beneficiaries, sum(a.amount)::DECIMAL(18,2) AS amount,
               (sum(a.amount) / nullif(sum(a.beneficiaries), 0))::DECIMAL(18,2) AS avg_amount
        FROM agg_monthly_pcsa a LEFT JOIN dim_pcsa p ON p.cbe_number = a.pcsa_cbe_number
        WHERE {where}
        GROUP BY ALL ORDER BY a.month, pcsa_name
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def finality_by_month(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Amount and rows per month and finality status, with each status' share of the month's amount."""
    where, params = filters.clause(region="region")
    return query(
        ref,
        f"""
        SELECT month, finality_status, sum(rows)::BIGINT AS rows, sum(beneficiaries)::BIGINT AS beneficiaries,
               sum(amount)::DECIMAL(18,2) AS amount,
               round(sum(amount) / nullif(sum(sum(amount)) OVER (PARTITION BY month), 0), 4)::DOUBLE AS share
        FROM agg_monthly_pcsa WHERE {where}
        GROUP BY month, finality_status
        ORDER BY month, CASE finality_status WHEN 'PROVISIONAL' THEN 1 WHEN 'CONSOLIDATING' THEN 2 ELSE 3 END
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def amount_convergence(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Each month's total as published by every refresh so far (``amount_history``), for the selection."""
    where, params = filters.clause()
    return query(
        ref,
        f"""
        SELECT reference_date, month, sum(rows)::BIGINT AS rows, sum(amount)::DECIMAL(18,2) AS amount
        FROM amount_history WHERE {where}
        GROUP BY ALL ORDER BY month, reference_date
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def revisions(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Per month: first published total, latest total, and how far it moved (absolute and relative)."""
    where, params = filters.clause()
    return query(
        ref,
        f"""
        WITH per_refresh AS (
            SELECT reference_date, month, sum(rows) AS rows, sum(amount) AS amount
            FROM amount_history WHERE {where} GROUP BY ALL
        )
        SELECT month, count(*) AS refreshes, arg_max(rows, reference_date)::BIGINT AS rows,
               arg_min(amount, reference_date)::DECIMAL(18,2) AS first_amount,
               arg_max(amount, reference_date)::DECIMAL(18,2) AS latest_amount,
               (arg_max(amount, reference_date) - arg_min(amount, reference_date))::DECIMAL(18,2) AS revision,
               round((arg_max(amount, reference_date) - arg_min(amount, reference_date))
                     / nullif(arg_min(amount, reference_date), 0), 4)::DOUBLE AS revision_share
        FROM per_refresh GROUP BY month ORDER BY month
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def late_revisions(ref: SnapshotRef, filters: Filters) -> pd.DataFrame:
    """Late revisions (lines for month m accepted from m+7 on) per month: how many, how much, how late."""
    where, params = filters.clause()
    return query(
        ref,
        f"""
        SELECT month, count(*) AS lines, count(DISTINCT ssin) AS beneficiaries,
               coalesce(sum(amount) FILTER (WHERE decision = 'ACCEPTED'), 0)::DECIMAL(18,2) AS amount,
               max(months_late) AS max_months_late
        FROM dq_late_revisions WHERE {where}
        GROUP BY month ORDER BY month
        """,
        params,
    )

"""The cells each source's partner figures are protected over (:func:`dashboards.lib.privacy.protect`): one
role-blind query per source and month, at the finest grain its filters and breakdowns reach, cached per snapshot.

A source is named by the table a view reads; its ``dims`` are the columns, besides the month and the CPAS, that
a filter or a breakdown can cut it by, and its ``counts`` the numbers of people (or of their lines or events)
whose small values must not be recovered. A new view over a new table gets a source here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from dashboards.lib import privacy
from dashboards.lib.amounts import TTL
from dashboards.lib.snapshot import SnapshotRef, query
from kernel.codes import ALLOWANCE_TYPES


@dataclass(frozen=True)
class Source:
    sql: str  # one month (the parameter) at the finest grain: pcsa_cbe_number, region, dims..., counts...
    dims: tuple[str, ...]
    counts: tuple[str, ...]
    allowances: tuple[str, ...] = ALLOWANCE_TYPES  # the allowance types this source can hold
    parts_only: tuple[str, ...] = ()  # dims no view adds up (shown value by value only)


_REGION = "LEFT JOIN dim_pcsa p ON p.cbe_number = t.pcsa_cbe_number"
SOURCES = {
    "agg_monthly_pcsa": Source(
        """SELECT pcsa_cbe_number, region, allowance_type, household_category, finality_status,
                  sum(beneficiaries) AS beneficiaries, sum(rows) AS rows
           FROM agg_monthly_pcsa WHERE month = ? GROUP BY ALL""",
        ("allowance_type", "household_category", "finality_status"),
        ("beneficiaries", "rows"),
    ),
    "amount_history": Source(
        f"""SELECT t.pcsa_cbe_number, p.region, t.allowance_type, t.reference_date, sum(t.rows) AS rows
            FROM amount_history t {_REGION} WHERE t.month = ? GROUP BY ALL""",
        ("allowance_type", "reference_date"),
        ("rows",),
        parts_only=("reference_date",),
    ),
    "dq_late_revisions": Source(
        f"""SELECT t.pcsa_cbe_number, p.region, t.allowance_type, count(*) AS lines,
                   count(DISTINCT t.ssin) AS beneficiaries
            FROM dq_late_revisions t {_REGION} WHERE t.month = ? GROUP BY ALL""",
        ("allowance_type",),
        ("lines", "beneficiaries"),
    ),
    "dq_rejections": Source(
        f"""SELECT t.pcsa_cbe_number, p.region, t.allowance_type, t.rejection_code, sum(t.lines) AS lines
            FROM dq_rejections t {_REGION} WHERE t.acceptance_month = ? GROUP BY ALL""",
        ("allowance_type", "rejection_code"),
        ("lines",),
        parts_only=("rejection_code",),
    ),
    "dq_open_rejections": Source(
        f"""SELECT t.pcsa_cbe_number, p.region, t.allowance_type, t.age_months, count(*) AS lines,
                   count(DISTINCT t.ssin) AS beneficiaries
            FROM dq_open_rejections t {_REGION} WHERE t.month = ? GROUP BY ALL""",
        ("allowance_type", "age_months"),
        ("lines", "beneficiaries"),
        parts_only=("age_months",),
    ),
    "right_events": Source(
        f"""SELECT t.pcsa_cbe_number, p.region, t.category AS allowance_type, count(*) AS events,
                   count(*) FILTER (WHERE t.is_late_decision) AS late_decisions,
                   count(*) FILTER (WHERE t.is_late_registration) AS late_registrations
            FROM right_events t {_REGION}
            WHERE date_trunc('month', t.registration_date) = ? GROUP BY ALL""",
        ("allowance_type",),
        ("events", "late_decisions", "late_registrations"),
        ("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE"),
    ),
    "dq_payments_outside_rights": Source(
        f"""SELECT t.pcsa_cbe_number, p.region, t.allowance_type, count(*) AS lines,
                   count(DISTINCT t.ssin) AS beneficiaries
            FROM dq_payments_outside_rights t {_REGION} WHERE t.month = ? GROUP BY ALL""",
        ("allowance_type",),
        ("lines", "beneficiaries"),
        ("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE"),
    ),
}


@st.cache_data(ttl=TTL, show_spinner=False)
def regions_of(ref: SnapshotRef) -> dict[str, str]:
    """Every CPAS of the directory and its region."""
    frame = query(ref, "SELECT cbe_number, coalesce(region, '') AS region FROM dim_pcsa")
    return dict(zip(frame["cbe_number"], frame["region"], strict=True))


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=5000)
def month(ref: SnapshotRef, source: str, first_day: dt.date) -> privacy.Cells:
    """The protected cells of ``source`` in one month (a month at a time: a period reads only its months)."""
    spec = SOURCES[source]
    return privacy.protect(query(ref, spec.sql, [first_day]), spec.dims, spec.counts, regions_of(ref), spec.parts_only)

"""Readable names for codes and columns: analysts read "Living wage (RIS)", not LIVING_WAGE."""

from __future__ import annotations

import pandas as pd

from kernel.codes import HOUSEHOLD_CATEGORY_LABELS, REJECTION_CODES

ALLOWANCE_LABELS = {
    "LIVING_WAGE": "Living wage (RIS)",
    "EQUIVALENT_LIVING_WAGE": "Equivalent living wage",
    "FAMILY_ALLOWANCE_ADVANCE": "Family allowance advance",
}
REGION_LABELS = {"FLANDERS": "Flanders", "WALLONIA": "Wallonia", "BRUSSELS": "Brussels"}
FINALITY_LABELS = {"PROVISIONAL": "Provisional", "CONSOLIDATING": "Consolidating", "FINAL": "Final"}
CATEGORY_LABELS = {code: f"{code} {label}" for code, label in HOUSEHOLD_CATEGORY_LABELS.items()}

# Column titles used by every table and chart (the CSV keeps the same readable headers).
COLUMNS = {
    "month": "Month",
    "year": "Year",
    "reference_date": "Reference date",
    "pcsa_cbe_number": "CPAS CBE number",
    "pcsa_name": "CPAS",
    "region": "Region",
    "allowance_type": "Allowance type",
    "household_category": "Household category",
    "finality_status": "Finality",
    "beneficiaries": "Beneficiaries",
    "beneficiary_months": "Beneficiary-months",
    "avg_beneficiaries": "Beneficiaries per month",
    "amount": "Amount (EUR)",
    "amount_year_before": "Amount a year before (EUR)",
    "amount_change": "Change in amount",
    "beneficiaries_year_before": "Beneficiaries a year before",
    "beneficiaries_change": "Change in beneficiaries",
    "avg_amount": "Average per beneficiary-month (EUR)",
    "partial_share": "Share of partial months",
    "rejection_rate": "Rejection rate",
    "rows": "Rows",
    "rank": "Rank",
    "share": "Share of the month",
    "refreshes": "Refreshes",
    "first_amount": "First published (EUR)",
    "latest_amount": "Latest (EUR)",
    "revision": "Revision (EUR)",
    "revision_share": "Revision share",
    "lines": "Lines",
    "max_months_late": "Most months late",
    "rejection_code": "Rejection code",
    "rejection_reason": "Reason",
    "age_months": "Age (months)",
    "is_abandoned": "Abandoned",
    "events": "Right events",
    "late_decisions": "Late decisions",
    "late_registrations": "Late registrations",
    "avg_decision_days": "Average days to decision",
    "avg_registration_days": "Average days to registration",
    "days_outside": "Days outside rights",
    "requests": "Requests",
    "refusals": "Refusals",
    "institution": "Institution",
    "cbe_number": "CBE number",
    "operation": "Operation",
    "status_value": "Status",
    "status_code": "Status code",
    "http_status": "HTTP status",
    "p50_ms": "Median (ms)",
    "p95_ms": "95th percentile (ms)",
    "max_ms": "Slowest (ms)",
    "day": "Day",
    "series": "Series",
    "ssin": "SSIN",
    "partner_ssin": "Partner SSIN",
    "beneficiary_ssin": "Beneficiary SSIN",
    "grant_periods": "Grant periods",
    "covers_whole_period": "Whole month",
    "is_last_indemnified_month": "Last indemnified month",
    "line_id": "Line",
    "quarantined_at": "Quarantined at",
    "released_at": "Released at",
    "file_name": "File",
    "file_id": "File id",
    "line_no": "Line no.",
}


def label_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace codes by their labels in the columns that hold codes (a copy)."""
    frame = frame.copy()
    mappings = {
        "allowance_type": ALLOWANCE_LABELS,
        "region": REGION_LABELS,
        "finality_status": FINALITY_LABELS,
        "household_category": CATEGORY_LABELS,
    }
    for column, mapping in mappings.items():
        if column in frame.columns:
            frame[column] = frame[column].map(lambda value, m=mapping: m.get(value, value))
    if "rejection_code" in frame.columns and "rejection_reason" not in frame.columns:
        position = frame.columns.get_loc("rejection_code") + 1
        frame.insert(position, "rejection_reason", frame["rejection_code"].map(REJECTION_CODES))
    return frame


def title(column: str) -> str:
    return COLUMNS.get(column, column.replace("_", " ").capitalize())


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Labels for codes and for the column headers: what a table shows and its CSV holds."""
    return label_codes(frame).rename(columns=title)

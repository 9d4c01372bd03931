"""What a published snapshot holds: the contract between the pipeline that publishes and every reader
(consultation service, batch, notifications, dashboards).

Each published table is a copy of one dbt model of the warehouse (``source``: schema.model). The dbt marts
enforce the same columns through their contracts; publication verifies them again before switching CURRENT.
Column types are DuckDB types. Grain and meaning are documented on the dbt models.
"""

from __future__ import annotations

from dataclasses import dataclass

GRANT_PERIODS = "STRUCT(begin_date DATE, end_date DATE)[]"


@dataclass(frozen=True)
class PublishedTable:
    name: str
    source: str
    columns: tuple[tuple[str, str], ...]
    # Rows are written in this order: readers that load per person (the service) then skip most of a sort.
    sort_key: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def ddl(self) -> str:
        """CREATE TABLE with the contract's columns (for publication and for test fixtures)."""
        cols = ", ".join(f'"{name}" {sql_type}' for name, sql_type in self.columns)
        return f'CREATE TABLE "{self.name}" ({cols})'


_AMOUNT_COLUMNS = (
    ("allowance_type", "VARCHAR"),
    ("household_category", "INTEGER"),
    ("amount", "DECIMAL(12,2)"),
    ("grant_periods", GRANT_PERIODS),
    ("covers_whole_period", "BOOLEAN"),
    ("finality_status", "VARCHAR"),
)

TABLES: tuple[PublishedTable, ...] = (
    # One row per beneficiary, month, CPAS, allowance type, household category, partner (none included).
    PublishedTable(
        "monthly_amounts",
        "marts.fct_monthly_amounts",
        (
            ("beneficiary_ssin", "VARCHAR"),
            ("month", "DATE"),
            ("pcsa_cbe_number", "VARCHAR"),
            *_AMOUNT_COLUMNS[:2],
            ("partner_ssin", "VARCHAR"),
            *_AMOUNT_COLUMNS[2:],
            ("is_last_indemnified_month", "BOOLEAN"),  # month = the beneficiary's last indemnified month
            ("line_count", "INTEGER"),
            ("has_overlapping_days", "BOOLEAN"),
        ),
        sort_key=("beneficiary_ssin", "month"),
    ),
    # The same rows seen from the partner: one row per partner, month, CPAS, allowance, category, beneficiary.
    PublishedTable(
        "monthly_amounts_by_partner",
        "marts.fct_monthly_amounts_by_partner",
        (
            ("partner_ssin", "VARCHAR"),
            ("month", "DATE"),
            ("pcsa_cbe_number", "VARCHAR"),
            *_AMOUNT_COLUMNS[:2],
            ("beneficiary_ssin", "VARCHAR"),
            *_AMOUNT_COLUMNS[2:],
            ("is_last_indemnified_month", "BOOLEAN"),  # month = the partner's last indemnified month as partner
        ),
        sort_key=("partner_ssin", "month"),
    ),
    # One row per beneficiary, year, CPAS, allowance type, household category, partner.
    PublishedTable(
        "yearly_amounts",
        "marts.fct_yearly_amounts",
        (
            ("beneficiary_ssin", "VARCHAR"),
            ("year", "INTEGER"),
            ("pcsa_cbe_number", "VARCHAR"),
            *_AMOUNT_COLUMNS[:2],
            ("partner_ssin", "VARCHAR"),
            *_AMOUNT_COLUMNS[2:],
            ("month_count", "INTEGER"),
        ),
        sort_key=("beneficiary_ssin", "year"),
    ),
    PublishedTable(
        "yearly_amounts_by_partner",
        "marts.fct_yearly_amounts_by_partner",
        (
            ("partner_ssin", "VARCHAR"),
            ("year", "INTEGER"),
            ("pcsa_cbe_number", "VARCHAR"),
            *_AMOUNT_COLUMNS[:2],
            ("beneficiary_ssin", "VARCHAR"),
            *_AMOUNT_COLUMNS[2:],
            ("month_count", "INTEGER"),
        ),
        sort_key=("partner_ssin", "year"),
    ),
    # One row per person and role: the latest month with a positive amount (any CPAS, any allowance type).
    PublishedTable(
        "last_indemnified_months",
        "marts.fct_last_indemnified_months",
        (("ssin", "VARCHAR"), ("person_role", "VARCHAR"), ("last_indemnified_month", "DATE")),
    ),
    # One row per right that exists as of R (a visible CREATE), with its folded state; status ACTIVE|CANCELLED.
    PublishedTable(
        "rights",
        "marts.fct_rights",
        (
            ("right_id", "VARCHAR"),
            ("ssin", "VARCHAR"),
            ("pcsa_cbe_number", "VARCHAR"),
            ("category", "VARCHAR"),
            ("household_category", "INTEGER"),
            ("begin_date", "DATE"),
            ("end_date", "DATE"),  # NULL: open-ended
            ("status", "VARCHAR"),
            ("subsidy_requested", "BOOLEAN"),
            ("application_date", "DATE"),
            ("decision_date", "DATE"),
            ("registration_date", "DATE"),
            ("last_event_type", "VARCHAR"),
            ("last_sequence", "INTEGER"),
            ("last_registration_date", "DATE"),
            ("event_count", "INTEGER"),
            ("state_decision_date", "DATE"),  # the current state's (latest CREATE/MODIFY's) decision date: V3
        ),
    ),
    # One row per right event registered on or before R, with its delays.
    PublishedTable(
        "right_events",
        "marts.fct_right_events",
        (
            ("event_id", "VARCHAR"),
            ("right_id", "VARCHAR"),
            ("sequence", "INTEGER"),
            ("event_type", "VARCHAR"),
            ("ssin", "VARCHAR"),
            ("pcsa_cbe_number", "VARCHAR"),
            ("category", "VARCHAR"),
            ("household_category", "INTEGER"),
            ("begin_date", "DATE"),
            ("end_date", "DATE"),
            ("application_date", "DATE"),
            ("decision_date", "DATE"),
            ("registration_date", "DATE"),
            ("subsidy_requested", "BOOLEAN"),
            ("decision_delay_days", "INTEGER"),
            ("registration_delay_days", "INTEGER"),
            ("is_late_decision", "BOOLEAN"),  # decision > 30 days after application
            ("is_late_registration", "BOOLEAN"),  # registration > 7 days after decision
            ("is_after_cancel", "BOOLEAN"),  # ignored: the right was cancelled by an earlier event
        ),
    ),
    # One row per notification due (right event, recipient institution) within LWW_NOTIFY_WINDOW_DAYS (90) before
    # R: what the notifier delivers (CONTRACT §6), imported by ticket_cbss. Attestation columns for every row.
    PublishedTable(
        "due_notifications",
        "marts.fct_due_notifications",
        (
            ("ticket_cbss", "VARCHAR"),
            ("due_reference_date", "DATE"),  # R of the refresh that first saw the event visible
            ("recipient_cbe_number", "VARCHAR"),
            ("endpoint_url", "VARCHAR"),
            ("with_attestation", "BOOLEAN"),
            ("event_id", "VARCHAR"),
            ("right_id", "VARCHAR"),
            ("sequence", "BIGINT"),
            ("event_type", "VARCHAR"),
            ("registration_date", "DATE"),
            ("ssin", "VARCHAR"),
            ("attestation_status", "INTEGER"),  # 0 original (CREATE), 1 correction (MODIFY), 3 cancellation
            ("pcsa_cbe_number", "VARCHAR"),
            ("category", "VARCHAR"),
            ("household_category", "INTEGER"),
            ("begin_date", "DATE"),
            ("end_date", "DATE"),  # NULL: open-ended
            ("decision_date", "DATE"),
        ),
        sort_key=("recipient_cbe_number", "right_id", "sequence"),
    ),
    PublishedTable(
        "dim_pcsa",
        "marts.dim_pcsa",
        (
            ("cbe_number", "VARCHAR"),
            ("nis_code", "VARCHAR"),
            ("name_fr", "VARCHAR"),
            ("name_nl", "VARCHAR"),
            ("region", "VARCHAR"),
        ),
    ),
    PublishedTable(
        "dim_institutions",
        "marts.dim_institutions",
        (("cbe_number", "VARCHAR"), ("name", "VARCHAR"), ("sector", "INTEGER")),
    ),
    # Access data for the readers (service, dashboards): the reference data as loaded by this refresh.
    PublishedTable(
        "institution_credentials",
        "marts.dim_institution_credentials",
        (("cbe_number", "VARCHAR"), ("username", "VARCHAR"), ("password_hash", "VARCHAR")),
    ),
    PublishedTable(
        "authorizations",
        "marts.dim_authorizations",
        (
            ("cbe_number", "VARCHAR"),
            ("operation", "VARCHAR"),
            ("legal_context", "VARCHAR"),
            ("deliberation", "VARCHAR"),
            ("valid_from", "DATE"),
            ("valid_to", "DATE"),
            ("withheld", "VARCHAR"),  # LivingWages V3 elements withheld, ';'-separated ('' for none)
        ),
    ),
    PublishedTable(
        "integrations",
        "marts.dim_integrations",
        (
            ("cbe_number", "VARCHAR"),
            ("ssin", "VARCHAR"),
            ("quality_code", "VARCHAR"),
            ("begin_date", "DATE"),
            ("end_date", "DATE"),
        ),
    ),
    PublishedTable(
        "subscriptions",
        "marts.dim_subscriptions",
        (("cbe_number", "VARCHAR"), ("with_attestation", "BOOLEAN"), ("endpoint_url", "VARCHAR")),
    ),
    PublishedTable(
        "dashboard_users",
        "marts.dim_dashboard_users",
        (("username", "VARCHAR"), ("password_hash", "VARCHAR"), ("role", "VARCHAR"), ("cbe_number", "VARCHAR")),
    ),
    # Aggregates for the dashboards (no query on 15 years of rows when these exist).
    # One row per month, CPAS, allowance type, household category, finality status.
    PublishedTable(
        "agg_monthly_pcsa",
        "marts.agg_monthly_pcsa",
        (
            ("month", "DATE"),
            ("pcsa_cbe_number", "VARCHAR"),
            ("region", "VARCHAR"),
            ("allowance_type", "VARCHAR"),
            ("household_category", "INTEGER"),
            ("finality_status", "VARCHAR"),
            ("beneficiaries", "BIGINT"),  # distinct beneficiaries with a row in this cell
            ("rows", "BIGINT"),
            ("partial_rows", "BIGINT"),  # rows not covering the whole month
            ("amount", "DECIMAL(18,2)"),
            ("accepted_lines", "BIGINT"),
            ("rejected_lines", "BIGINT"),  # current rejected lines of the month (open rejections)
        ),
    ),
    # How each month's total moved from refresh to refresh: one row per R, month, CPAS, allowance, status.
    PublishedTable(
        "amount_history",
        "marts.fct_amount_history",
        (
            ("reference_date", "DATE"),
            ("month", "DATE"),
            ("pcsa_cbe_number", "VARCHAR"),
            ("allowance_type", "VARCHAR"),
            ("finality_status", "VARCHAR"),
            ("rows", "BIGINT"),
            ("amount", "DECIMAL(18,2)"),
        ),
    ),
    # Data quality: one row per acceptance month, CPAS, allowance type, rejection code.
    PublishedTable(
        "dq_rejections",
        "marts.dq_rejections",
        (
            ("acceptance_month", "DATE"),
            ("pcsa_cbe_number", "VARCHAR"),
            ("allowance_type", "VARCHAR"),
            ("rejection_code", "VARCHAR"),
            ("lines", "BIGINT"),
            ("amount", "DECIMAL(18,2)"),
        ),
    ),
    # One row per open rejection (a current rejected line) with the age of its month at R.
    PublishedTable(
        "dq_open_rejections",
        "marts.dq_open_rejections",
        (
            ("line_id", "VARCHAR"),
            ("ssin", "VARCHAR"),
            ("month", "DATE"),
            ("pcsa_cbe_number", "VARCHAR"),
            ("allowance_type", "VARCHAR"),
            ("rejection_code", "VARCHAR"),
            ("amount", "DECIMAL(12,2)"),
            ("age_months", "INTEGER"),
            ("is_abandoned", "BOOLEAN"),  # age >= 6
        ),
    ),
    # One row per late revision: an included line for month m accepted on or after the first day of m+7.
    PublishedTable(
        "dq_late_revisions",
        "marts.dq_late_revisions",
        (
            ("line_id", "VARCHAR"),
            ("ssin", "VARCHAR"),
            ("month", "DATE"),
            ("pcsa_cbe_number", "VARCHAR"),
            ("allowance_type", "VARCHAR"),
            ("acceptance_date", "DATE"),
            ("decision", "VARCHAR"),
            ("amount", "DECIMAL(12,2)"),
            ("months_late", "INTEGER"),
        ),
    ),
    # One row per current accepted line of a LIVING_WAGE / EQUIVALENT_LIVING_WAGE whose days fall outside
    # every active right of the same person, CPAS and category (rights and amounts are separate sources:
    # this is a data-quality signal, never a filter).
    PublishedTable(
        "dq_payments_outside_rights",
        "marts.dq_payments_outside_rights",
        (
            ("line_id", "VARCHAR"),
            ("ssin", "VARCHAR"),
            ("month", "DATE"),
            ("pcsa_cbe_number", "VARCHAR"),
            ("allowance_type", "VARCHAR"),
            ("amount", "DECIMAL(12,2)"),
            ("days_outside", "INTEGER"),
        ),
    ),
    PublishedTable(
        "quarantined_files",
        "marts.fct_quarantined_files",
        (
            ("quarantine_id", "VARCHAR"),
            ("file_name", "VARCHAR"),
            ("kind", "VARCHAR"),
            ("file_id", "VARCHAR"),
            ("quarantined_at", "TIMESTAMP"),
            ("reason", "VARCHAR"),
            ("line_no", "INTEGER"),
            ("field", "VARCHAR"),
            ("errors", "INTEGER"),
            ("released_at", "TIMESTAMP"),
        ),
    ),
    # One row per consultation (service audit log, loaded by the refresh).
    PublishedTable(
        "consultations",
        "marts.fct_consultations",
        (
            ("record_id", "VARCHAR"),
            ("logged_at", "TIMESTAMP"),
            ("channel", "VARCHAR"),
            ("cbe_number", "VARCHAR"),
            ("institution_name", "VARCHAR"),
            ("legal_context", "VARCHAR"),
            ("operation", "VARCHAR"),
            ("status_value", "VARCHAR"),
            ("status_code", "VARCHAR"),
            ("http_status", "INTEGER"),
            ("duration_ms", "DOUBLE"),
        ),
    ),
)

BY_NAME = {table.name: table for table in TABLES}

# Written by publication itself (not a dbt model): one row describing the snapshot.
SNAPSHOT_INFO = PublishedTable(
    "snapshot_info",
    "",
    (
        ("refresh_id", "VARCHAR"),
        ("reference_date", "DATE"),
        ("cutoff_date", "DATE"),
        ("published_at", "TIMESTAMP"),
    ),
)


def _normalise(sql_type: str) -> str:
    return sql_type.upper().replace(" ", "").replace('"', "")


def contract_errors(connection, tables: tuple[PublishedTable, ...] = (*TABLES, SNAPSHOT_INFO)) -> list[str]:
    """Differences between the tables of ``connection`` (schema main) and the contract; empty when it holds."""
    rows = connection.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table_name, column_name, data_type in rows:
        found.setdefault(table_name, []).append((column_name, data_type))
    errors = []
    for table in tables:
        actual = found.get(table.name)
        if actual is None:
            errors.append(f"table {table.name} is missing")
            continue
        expected = [(name, _normalise(sql_type)) for name, sql_type in table.columns]
        got = [(name, _normalise(sql_type)) for name, sql_type in actual]
        if expected != got:
            errors.append(f"table {table.name} has columns {got}, the contract says {expected}")
    return errors

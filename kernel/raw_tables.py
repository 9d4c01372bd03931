"""The raw tables of the warehouse: the contract between what writes them (ingest, or the simulator's direct
path for benchmarks) and what reads them (the dbt sources).

One declaration gives the DuckDB DDL and the Arrow schema, so the two can never drift apart.
All raw tables live in schema ``raw`` of ``warehouse.duckdb``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA = "raw"


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    arrow_type: pa.DataType
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{self.name}"

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        cols = [f"{c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns]
        if self.primary_key:
            cols.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.qualified} (\n  " + ",\n  ".join(cols) + "\n)"


def _c(name: str, sql_type: str, nullable: bool = False) -> Column:
    arrow = {
        "VARCHAR": pa.string(),
        "DATE": pa.date32(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "SMALLINT": pa.int16(),
        "BOOLEAN": pa.bool_(),
        "DECIMAL(12,2)": pa.decimal128(12, 2),
        "TIMESTAMP": pa.timestamp("us"),
        "DOUBLE": pa.float64(),
    }[sql_type]
    return Column(name, sql_type, arrow, nullable)


# One row per reimbursement line of a payments file (CONTRACT §2.1). ``line_no`` is the 1-based position of the
# <line> element in its file, ``source_line`` the XML line where it starts: both name the line in errors.
PAYMENT_LINES = Table(
    "payment_lines",
    (
        _c("file_id", "VARCHAR"),
        _c("line_no", "INTEGER"),
        _c("line_id", "VARCHAR"),
        _c("replaces_line_id", "VARCHAR", nullable=True),
        _c("pcsa_cbe_number", "VARCHAR"),
        _c("ssin", "VARCHAR"),
        _c("partner_ssin", "VARCHAR", nullable=True),
        _c("allowance_type", "VARCHAR"),
        _c("household_category", "SMALLINT"),
        _c("begin_date", "DATE"),
        _c("end_date", "DATE"),
        _c("amount", "DECIMAL(12,2)"),
        _c("payment_date", "DATE"),
        _c("acceptance_date", "DATE"),
        _c("decision", "VARCHAR"),
        _c("rejection_code", "VARCHAR", nullable=True),
    ),
    # No PRIMARY KEY: an index over 45 million keys costs more than the ingest check that already refuses
    # a duplicate line_id (and a dbt test pins it).
)

# One row per right event of a rights file (CONTRACT §2.2).
RIGHT_EVENTS = Table(
    "right_events",
    (
        _c("file_id", "VARCHAR"),
        _c("line_no", "INTEGER"),
        _c("event_id", "VARCHAR"),
        _c("right_id", "VARCHAR"),
        _c("sequence", "INTEGER"),
        _c("event_type", "VARCHAR"),
        _c("ssin", "VARCHAR"),
        _c("pcsa_cbe_number", "VARCHAR"),
        _c("category", "VARCHAR"),
        _c("household_category", "SMALLINT"),
        _c("begin_date", "DATE"),
        _c("end_date", "DATE", nullable=True),
        _c("application_date", "DATE"),
        _c("decision_date", "DATE"),
        _c("registration_date", "DATE"),
        _c("subsidy_requested", "BOOLEAN"),
    ),
)

# The ledger of loaded upstream files: what makes every load idempotent.
LOADED_FILES = Table(
    "loaded_files",
    (
        _c("file_id", "VARCHAR"),
        _c("kind", "VARCHAR"),  # 'payments' | 'rights'
        _c("file_name", "VARCHAR"),
        _c("sha256", "VARCHAR"),
        _c("rows", "BIGINT"),
        _c("created_at", "TIMESTAMP", nullable=True),
        _c("loaded_at", "TIMESTAMP"),
        _c("reporting_month", "DATE", nullable=True),  # the month of the file's createdAt: ingest partitions by arrival
    ),
    primary_key=("file_id",),
)

# Every quarantine, kept for the dashboards; a replayed file gets ``released_at``.
QUARANTINED_FILES = Table(
    "quarantined_files",
    (
        _c("quarantine_id", "VARCHAR"),
        _c("file_name", "VARCHAR"),
        _c("kind", "VARCHAR"),
        _c("file_id", "VARCHAR", nullable=True),
        _c("sha256", "VARCHAR"),
        _c("quarantined_at", "TIMESTAMP"),
        _c("reason", "VARCHAR"),
        _c("line_no", "INTEGER", nullable=True),
        _c("field", "VARCHAR", nullable=True),
        _c("errors", "INTEGER"),
        _c("released_at", "TIMESTAMP", nullable=True),
    ),
    primary_key=("quarantine_id",),
)

# Reference data (CONTRACT §3), loaded whole from $LWW_HOME/reference/*.csv by each refresh.
REF_PCSA = Table(
    "ref_pcsa",
    (
        _c("cbe_number", "VARCHAR"),
        _c("nis_code", "VARCHAR"),
        _c("name_fr", "VARCHAR"),
        _c("name_nl", "VARCHAR"),
        _c("region", "VARCHAR"),
    ),
    primary_key=("cbe_number",),
)
REF_INSTITUTIONS = Table(
    "ref_institutions",
    (
        _c("cbe_number", "VARCHAR"),
        _c("name", "VARCHAR"),
        _c("sector", "INTEGER"),
        _c("username", "VARCHAR"),
        _c("password_hash", "VARCHAR"),
    ),
    primary_key=("cbe_number",),
)
REF_AUTHORIZATIONS = Table(
    "ref_authorizations",
    (
        _c("cbe_number", "VARCHAR"),
        _c("operation", "VARCHAR"),
        _c("legal_context", "VARCHAR"),
        _c("deliberation", "VARCHAR", nullable=True),
        _c("valid_from", "DATE"),
        _c("valid_to", "DATE", nullable=True),
        # optional last column of the file: the LivingWages V3 elements withheld, ';'-separated ('' for none)
        _c("withheld", "VARCHAR", nullable=True),
    ),
)
REF_INTEGRATIONS = Table(
    "ref_integrations",
    (
        _c("cbe_number", "VARCHAR"),
        _c("ssin", "VARCHAR"),
        _c("quality_code", "VARCHAR"),
        _c("begin_date", "DATE"),
        _c("end_date", "DATE", nullable=True),
    ),
)
REF_SUBSCRIPTIONS = Table(
    "ref_subscriptions",
    (
        _c("cbe_number", "VARCHAR"),
        _c("with_attestation", "BOOLEAN"),
        _c("endpoint_url", "VARCHAR"),
    ),
    primary_key=("cbe_number",),
)
REF_USERS = Table(
    "ref_users",
    (
        _c("username", "VARCHAR"),
        _c("password_hash", "VARCHAR"),
        _c("role", "VARCHAR"),
        _c("cbe_number", "VARCHAR", nullable=True),
    ),
    primary_key=("username",),
)

# The reference CSV file behind each reference table.
REFERENCE_FILES = {
    "pcsa.csv": REF_PCSA,
    "institutions.csv": REF_INSTITUTIONS,
    "authorizations.csv": REF_AUTHORIZATIONS,
    "integrations.csv": REF_INTEGRATIONS,
    "subscriptions.csv": REF_SUBSCRIPTIONS,
    "users.csv": REF_USERS,
}

# The consultation service's audit log, loaded from $LWW_HOME/audit/*.jsonl (see kernel.audit).
AUDIT_LOG = Table(
    "audit_log",
    (
        _c("record_id", "VARCHAR"),
        _c("logged_at", "TIMESTAMP"),  # UTC
        _c("channel", "VARCHAR"),  # SOAP | JSON | BATCH
        _c("ticket", "VARCHAR", nullable=True),
        _c("ticket_cbss", "VARCHAR"),
        _c("username", "VARCHAR", nullable=True),
        _c("cbe_number", "VARCHAR", nullable=True),
        _c("legal_context", "VARCHAR", nullable=True),
        _c("operation", "VARCHAR", nullable=True),
        _c("ssin", "VARCHAR", nullable=True),
        _c("period_begin", "DATE", nullable=True),
        _c("period_end", "DATE", nullable=True),
        _c("status_value", "VARCHAR", nullable=True),
        _c("status_code", "VARCHAR"),
        _c("http_status", "INTEGER"),
        _c("snapshot_id", "VARCHAR", nullable=True),
        _c("duration_ms", "DOUBLE"),
    ),
)

UPSTREAM_TABLES = (PAYMENT_LINES, RIGHT_EVENTS)
LEDGER_TABLES = (LOADED_FILES, QUARANTINED_FILES)
ALL_TABLES = (*UPSTREAM_TABLES, *LEDGER_TABLES, *REFERENCE_FILES.values(), AUDIT_LOG)


def create_all(connection) -> None:  # connection: duckdb.DuckDBPyConnection
    """Create schema ``raw`` and every raw table (idempotent)."""
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for table in ALL_TABLES:
        connection.execute(table.ddl())

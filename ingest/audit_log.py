"""The consultation service's audit log: ``$LWW_HOME/audit/audit-*.jsonl`` -> ``raw.audit_log``.

The service appends one JSON object per line (exactly the fields of :data:`kernel.audit.FIELDS`). A file may be
being written while it is read, so only complete lines (ending with a newline) are read; the rest waits for the
next run. Loading is idempotent on ``record_id``: records already loaded are skipped, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from kernel.audit import FIELDS, FILE_GLOB
from kernel.errors import LwwError
from kernel.raw_tables import AUDIT_LOG, create_all
from kernel.settings import Settings


@dataclass(frozen=True)
class AuditReport:
    files: int
    read: int
    inserted: int


def _timestamp(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _convert(name: str, value, arrow_type: pa.DataType, nullable: bool):
    if value is None:
        if not nullable:
            raise ValueError("is null but required")
        return None
    if pa.types.is_timestamp(arrow_type):
        return _timestamp(value)
    if pa.types.is_date32(arrow_type):
        return dt.date.fromisoformat(value)
    if pa.types.is_integer(arrow_type):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be an integer")
        return value
    if pa.types.is_floating(arrow_type):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def complete_lines(path: Path) -> list[tuple[int, str]]:
    """The complete lines of ``path`` (a trailing partial line is being written: left for the next run)."""
    data = path.read_bytes()
    end = data.rfind(b"\n")
    if end < 0:
        return []
    text = data[: end + 1].decode("utf-8")
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def read_audit_file(path: Path) -> pa.Table:
    schema = AUDIT_LOG.arrow_schema
    columns: dict[str, list] = {name: [] for name in FIELDS}
    expected = set(FIELDS)
    for number, line in complete_lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise LwwError(f"{path}, line {number}: not JSON ({error.msg}); repair or remove that line") from None
        if not isinstance(record, dict) or set(record) != expected:
            found = set(record) if isinstance(record, dict) else set()
            detail = f"missing {sorted(expected - found)}, unexpected {sorted(found - expected)}"
            raise LwwError(f"{path}, line {number}: not an audit record ({detail}); repair or remove that line")
        for name in FIELDS:
            field = schema.field(name)
            try:
                columns[name].append(_convert(name, record[name], field.type, field.nullable))
            except (ValueError, TypeError) as error:
                raise LwwError(
                    f"{path}, line {number}, field {name}: {record[name]!r} {error}; repair or remove that line"
                ) from None
    return pa.table({name: pa.array(columns[name], schema.field(name).type) for name in FIELDS}, schema=schema)


def load_audit(connection, settings: Settings) -> AuditReport:
    """Load every complete audit record not yet loaded (idempotent on record_id), in one transaction."""
    files = sorted(settings.audit.glob(FILE_GLOB)) if settings.audit.is_dir() else []
    tables = [read_audit_file(path) for path in files]
    create_all(connection)
    read = sum(t.num_rows for t in tables)
    if not read:
        return AuditReport(len(files), 0, 0)
    names = ", ".join(FIELDS)
    connection.execute("BEGIN TRANSACTION")
    try:
        before = connection.execute(f"SELECT count(*) FROM {AUDIT_LOG.qualified}").fetchall()[0][0]
        connection.register("audit_rows", pa.concat_tables(tables))
        try:
            connection.execute(
                f"INSERT INTO {AUDIT_LOG.qualified} ({names}) "
                f"SELECT {names} FROM (SELECT *, row_number() OVER (PARTITION BY record_id) AS n FROM audit_rows) "
                f"WHERE n = 1 AND record_id NOT IN (SELECT record_id FROM {AUDIT_LOG.qualified})"
            )
        finally:
            connection.unregister("audit_rows")
        after = connection.execute(f"SELECT count(*) FROM {AUDIT_LOG.qualified}").fetchall()[0][0]
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return AuditReport(len(files), read, after - before)

"""Reference data (CONTRACT §3): ``$LWW_HOME/reference/*.csv`` -> ``raw.ref_*``.

Every present file is read and validated first (exact header, one validator per column, primary keys unique;
an optional last column, ``OPTIONAL_LAST``, may be left out of a file, header and rows alike);
only when all are valid are the tables replaced, all in one transaction. A bad file raises a
:class:`~kernel.errors.LwwError` naming file, line and column, and the previous reference data stays.
A missing file leaves its table as it was (the report says so).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.rules import ValidSsins
from kernel.codes import REGIONS, WITHHOLDABLE_ELEMENTS
from kernel.errors import LwwError
from kernel.identifiers import cbe_error
from kernel.raw_tables import REFERENCE_FILES, Table, create_all
from kernel.settings import Settings

# argon2 in PHC string format: $argon2id$v=19$m=...,t=...,p=...$salt$hash
ARGON2_PHC = re.compile(r"\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}")
ROLES = ("ANALYST", "PARTNER_ANALYST")

Check = Callable[[str], object]  # returns the typed value, or raises ValueError with the reason


class _Bad(ValueError):
    pass


def _required(value: str) -> str:
    if not value.strip():
        raise _Bad("is empty")
    return value


def _cbe(value: str) -> str:
    why = cbe_error(value)
    if why:
        raise _Bad(why)
    return value


def _ssin(valid: ValidSsins) -> Check:
    """The SSIN check of one file, with its own cache of valid values (a person recurs in the integrations)."""

    def check(value: str) -> str:
        why = valid.error(value)
        if why:
            raise _Bad(why)
        return value

    return check


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else _raise()
    except ValueError:
        raise _Bad("is not a date YYYY-MM-DD") from None


def _raise():
    raise ValueError


def _optional(check: Check) -> Check:
    return lambda value: None if value == "" else check(value)


def _nis(value: str) -> str:
    if not re.fullmatch(r"\d{5}", value):
        raise _Bad("a NIS code is 5 digits")
    return value


def _region(value: str) -> str:
    if value not in REGIONS:
        raise _Bad(f"must be one of {', '.join(REGIONS)}")
    return value


def _sector(value: str) -> int:
    if not re.fullmatch(r"\d{1,3}", value):
        raise _Bad("a CBSS sector code is a number of 1 to 3 digits")
    return int(value)


def _password_hash(value: str) -> str:
    if not ARGON2_PHC.fullmatch(value):
        raise _Bad("is not an argon2 hash in PHC format ($argon2id$v=19$m=...); never store a clear password")
    return value


def _operation(value: str) -> str:
    # Service:extract: a periodic extract of that service (CONTRACT §7), granted apart from its consultations
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(:\*|:extract)?", value):
        raise _Bad(
            "must be a SOAP operation name, Service:* for every operation of a service, or Service:extract for "
            "its periodic extract"
        )
    return value


def _legal_context(value: str) -> str:
    if not value.strip() or len(value) > 64:
        raise _Bad("a legal context is 1 to 64 characters")
    return value


def _boolean(value: str) -> bool:
    if value not in ("true", "false"):
        raise _Bad("must be true or false")
    return value == "true"


def _url(value: str) -> str:
    if not re.fullmatch(r"https?://\S+", value):
        raise _Bad("must be an http(s) URL")
    return value


def _withheld(value: str) -> str:
    """``;``-separated names of LivingWages V3 elements an authorisation withholds (CONTRACT 4.5), normalised."""
    names = [name.strip() for name in value.split(";") if name.strip()]
    unknown = [name for name in names if name not in WITHHOLDABLE_ELEMENTS]
    if unknown:
        raise _Bad(
            f"names {', '.join(unknown)}: not an element that may be withheld "
            f"(one of {', '.join(WITHHOLDABLE_ELEMENTS)}, separated by ';')"
        )
    return ";".join(dict.fromkeys(names))


def _role(value: str) -> str:
    if value not in ROLES:
        raise _Bad(f"must be one of {', '.join(ROLES)}")
    return value


CHECKS: dict[str, dict[str, Check]] = {
    "pcsa.csv": {"cbe_number": _cbe, "nis_code": _nis, "name_fr": _required, "name_nl": _required, "region": _region},
    "institutions.csv": {
        "cbe_number": _cbe,
        "name": _required,
        "sector": _sector,
        "username": _required,
        "password_hash": _password_hash,
    },
    "authorizations.csv": {
        "cbe_number": _cbe,
        "operation": _operation,
        "legal_context": _legal_context,
        "deliberation": _optional(str),
        "valid_from": _date,
        "valid_to": _optional(_date),
        "withheld": _withheld,
    },
    "integrations.csv": {
        "cbe_number": _cbe,
        "ssin": _ssin,  # a factory: given the file's cache by read_reference_file
        "quality_code": _required,
        "begin_date": _date,
        "end_date": _optional(_date),
    },
    "subscriptions.csv": {"cbe_number": _cbe, "with_attestation": _boolean, "endpoint_url": _url},
    "users.csv": {"username": _required, "password_hash": _password_hash, "role": _role, "cbe_number": _optional(_cbe)},
}
UNIQUE: dict[str, tuple[tuple[str, ...], ...]] = {
    "institutions.csv": (("cbe_number",), ("username",)),
}
# Keys of the large files, checked once the file is read, by one grouping in DuckDB: the integrations can hold ten
# million rows, whose keys in a Python dict would take gigabytes.
UNIQUE_SET_BASED: dict[str, tuple[str, ...]] = {
    "integrations.csv": ("cbe_number", "ssin", "quality_code", "begin_date"),
}
PERIODS = {"authorizations.csv": ("valid_from", "valid_to"), "integrations.csv": ("begin_date", "end_date")}
# A last column a file may leave out (header and rows): its value is then '' for every row.
OPTIONAL_LAST = {"authorizations.csv": "withheld"}


@dataclass
class ReferenceReport:
    loaded: dict[str, int] = field(default_factory=dict)  # table -> rows
    missing: list[str] = field(default_factory=list)  # files absent: their tables were kept


def _fail(path: Path, line: int, column: str | None, message: str) -> LwwError:
    where = f"{path}, line {line}" + (f", column {column}" if column else "")
    return LwwError(f"{where}: {message}; fix the file (the previous reference data is kept)")


def read_reference_file(path: Path, table: Table) -> pa.Table:
    """Read and validate one reference CSV into the table's Arrow schema; raises LwwError on the first error."""
    valid = ValidSsins()
    checks = {name: check(valid) if check is _ssin else check for name, check in CHECKS[path.name].items()}
    expected = table.column_names
    optional = OPTIONAL_LAST.get(path.name)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            present = expected[:-1] if optional and header == expected[:-1] else expected
            if header != present:
                found = header and ",".join(header)
                shape = f"{','.join(expected[:-1])}[,{optional}]" if optional else ",".join(expected)
                raise _fail(path, 1, None, f"header must be exactly {shape} (found {found})")
            columns: dict[str, list] = {name: [] for name in expected}
            lines: list[int] = []  # each row's line, for the set-based key check
            seen: dict[tuple[str, ...], dict[tuple, int]] = {key: {} for key in _keys(path.name, table)}
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != len(present):
                    raise _fail(path, line, None, f"{len(row)} values for {len(present)} columns")
                if len(present) < len(expected):
                    row = [*row, ""]
                values = {}
                for name, raw in zip(expected, row, strict=True):
                    try:
                        values[name] = checks[name](raw)
                    except ValueError as bad:
                        raise _fail(path, line, name, f"value {raw!r} {bad}") from None
                _check_row(path, line, values)
                for key, index in seen.items():
                    value = tuple(values[k] for k in key)
                    if value in index:
                        raise _fail(path, line, key[0], f"{value} already on line {index[value]} (must be unique)")
                    index[value] = line
                for name in expected:
                    columns[name].append(values[name])
                lines.append(line)
    except UnicodeDecodeError as error:
        raise LwwError(f"{path}: not UTF-8 ({error.reason}); re-save it in UTF-8") from None
    except csv.Error as error:
        raise LwwError(f"{path}: not a valid CSV file ({error}); fix the quoting") from None
    data = pa.table(
        {name: pa.array(columns[name], table.arrow_schema.field(name).type) for name in expected},
        schema=table.arrow_schema,
    )
    if key := UNIQUE_SET_BASED.get(path.name):
        _check_unique_set_based(path, data, key, lines)
    return data


def _check_unique_set_based(path: Path, data: pa.Table, key: tuple[str, ...], lines: list[int]) -> None:
    """The first repeated key of the file (by its second occurrence), named as the row-by-row check names it."""
    rows = data.select(list(key)).append_column("source_line", pa.array(lines, pa.int64()))
    with duckdb.connect() as connection:
        connection.register("reference_rows", rows)
        columns = ", ".join(key)
        repeated = connection.execute(
            f"WITH repeated AS (SELECT {columns} FROM reference_rows GROUP BY ALL HAVING count(*) > 1) "
            f"SELECT {columns}, lines[1], lines[2] FROM ("
            f"  SELECT {columns}, list(source_line ORDER BY source_line) AS lines"
            f"  FROM reference_rows SEMI JOIN repeated USING ({columns}) GROUP BY ALL"
            f") ORDER BY lines[2] LIMIT 1"
        ).fetchone()
    if repeated:
        *value, first, line = repeated
        raise _fail(path, line, key[0], f"{tuple(value)} already on line {first} (must be unique)")


def _keys(name: str, table: Table) -> tuple[tuple[str, ...], ...]:
    return UNIQUE.get(name) or ((table.primary_key,) if table.primary_key else ())


def _check_row(path: Path, line: int, values: dict) -> None:
    period = PERIODS.get(path.name)
    if period and values[period[1]] is not None and values[period[1]] < values[period[0]]:
        raise _fail(path, line, period[1], "ends before it begins")
    if path.name == "users.csv":
        partner = values["role"] == "PARTNER_ANALYST"
        if partner and values["cbe_number"] is None:
            raise _fail(path, line, "cbe_number", "a PARTNER_ANALYST needs the cbe_number of its institution")
        if not partner and values["cbe_number"] is not None:
            raise _fail(path, line, "cbe_number", "an ANALYST (SPP IS) has no cbe_number")


def _add_new_columns(connection, tables) -> None:
    """A warehouse created before a nullable column of a reference table existed gets it (``withheld``)."""
    for table in tables:
        present = {
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [table.qualified.split(".")[0], table.name],
            ).fetchall()
        }
        for column in table.columns:
            if column.name not in present and column.nullable:
                connection.execute(f"ALTER TABLE {table.qualified} ADD COLUMN {column.name} {column.sql_type}")


def load_reference(connection, settings: Settings) -> ReferenceReport:
    """Validate every reference file present, then replace their tables in one transaction."""
    report = ReferenceReport()
    tables: dict[Table, pa.Table] = {}
    for name, table in REFERENCE_FILES.items():
        path = settings.reference / name
        if not path.is_file():
            report.missing.append(name)
            continue
        tables[table] = read_reference_file(path, table)
    create_all(connection)
    _add_new_columns(connection, tables)
    connection.execute("BEGIN TRANSACTION")
    try:
        for table, data in tables.items():
            connection.execute(f"DELETE FROM {table.qualified}")
            connection.register("reference_rows", data)
            try:
                connection.execute(
                    f"INSERT INTO {table.qualified} ({', '.join(table.column_names)}) "
                    f"SELECT {', '.join(table.column_names)} FROM reference_rows"
                )
            finally:
                connection.unregister("reference_rows")
            report.loaded[table.name] = data.num_rows
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return report

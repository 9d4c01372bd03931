"""The snapshot the service answers from, held in memory and swapped when ``CURRENT`` switches.

Measured (bench/README.md): a DuckDB point query costs milliseconds (planning, a scan of the zone maps,
conversion), and three of them per request missed the latency target, so each snapshot is loaded once into
per-person indexes: the rows of each table sorted by person (and in the answer's order), as compact numpy columns
(days, dictionary codes, cents; 1.9 GB at Belgian scale), and a dict person -> row range. A request then slices
its person's rows, no SQL at all. The small access tables (credentials, authorisations,
Flemish CPAS) are plain dicts.

Hot reload: when ``CURRENT`` changes, the new snapshot is loaded in a background thread while requests keep
being answered from the old one; the swap is one reference assignment, so a request keeps the snapshot it
started with to the end and the next one gets the new snapshot. The very first load happens in the request
(nothing else to answer from). The DuckDB file is closed once loaded, so pruning old snapshots never waits on
the service.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kernel import snapshots

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Authorization:
    operation: str
    legal_context: str
    valid_from: dt.date | None
    valid_to: dt.date | None


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_NULL_DAY = -(2**31)
_fromordinal = dt.date.fromordinal


def _day(days: int) -> dt.date | None:
    return None if days == _NULL_DAY else _fromordinal(_EPOCH_ORDINAL + days)


class _Column:
    """One column of an index, accumulated batch by batch in compact numpy form.

    Arrow's own ``to_pylist`` goes through one Scalar object per value, measured 20 times slower for the few
    dozen rows of a person; numpy's ``tolist`` plus a cheap conversion is what keeps a request sub-millisecond.
    Batches are converted as they stream out of DuckDB, so a load never holds the whole table twice.
    """

    def __init__(self, name: str, kind: pa.DataType) -> None:
        self.name = name
        if name.endswith("_cents"):  # money as integer cents, back to Decimal with 2 places
            self.kind = "cents"
        elif pa.types.is_date32(kind):
            self.kind = "date"
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            self.kind = "str"
        elif pa.types.is_boolean(kind):
            self.kind = "bool"
        elif pa.types.is_integer(kind):
            self.kind = "int"
        elif pa.types.is_list(kind) and pa.types.is_struct(kind.value_type):
            self.kind = "periods"  # grant periods: [(begin, end), ...]
        else:
            raise TypeError(f"column {name} of type {kind} has no compact form in the service's index")
        self.chunks: list[np.ndarray] = []
        self.begins: list[np.ndarray] = []
        self.ends: list[np.ndarray] = []
        self.offsets: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.total = 0
        self.codes: dict[str, int] = {}
        self.values: list[str] = []

    @staticmethod
    def _days(array: pa.Array) -> np.ndarray:
        return pc.fill_null(array.cast(pa.int32()), _NULL_DAY).to_numpy()

    def add(self, array: pa.Array) -> None:
        if self.kind == "cents":
            self.chunks.append(pc.fill_null(array, 0).to_numpy())
        elif self.kind == "date":
            self.chunks.append(self._days(array))
        elif self.kind == "bool":
            self.chunks.append(pc.fill_null(array, False).to_numpy(zero_copy_only=False))
        elif self.kind == "int":
            self.chunks.append(pc.fill_null(array, 0).to_numpy())
        elif self.kind == "str":
            encoded = pc.dictionary_encode(array)
            mapping = np.array(
                [self.codes.setdefault(v, len(self.codes)) for v in encoded.dictionary.to_pylist()] or [-1],
                dtype=np.int32,
            )
            self.values = list(self.codes)
            local = pc.fill_null(encoded.indices.cast(pa.int32()), -1).to_numpy()
            self.chunks.append(np.where(local >= 0, mapping[np.maximum(local, 0)], -1).astype(np.int32))
        else:
            offsets = array.offsets.to_numpy().astype(np.int64)
            flat = array.values.slice(offsets[0], offsets[-1] - offsets[0])
            self.begins.append(self._days(flat.field(0)))
            self.ends.append(self._days(flat.field(1)))
            self.offsets.append(offsets[1:] - offsets[0] + self.total)
            self.total += int(offsets[-1] - offsets[0])

    def decoder(self):
        """A function (start, stop) -> the Python values of those rows."""
        if self.kind == "periods":
            offsets = np.concatenate(self.offsets)
            begins = np.concatenate(self.begins) if self.begins else np.zeros(0, np.int32)
            ends = np.concatenate(self.ends) if self.ends else np.zeros(0, np.int32)

            def periods(a: int, b: int) -> list[list[tuple]]:
                bounds = offsets[a : b + 1].tolist()
                first, last = bounds[0], bounds[-1]
                pairs = [
                    (_day(x), _day(y))
                    for x, y in zip(begins[first:last].tolist(), ends[first:last].tolist(), strict=True)
                ]
                return [pairs[bounds[i] - first : bounds[i + 1] - first] for i in range(len(bounds) - 1)]

            return periods
        data = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int64)
        if self.kind == "cents":
            return lambda a, b: [Decimal(c).scaleb(-2) for c in data[a:b].tolist()]
        if self.kind == "date":
            return lambda a, b: [_day(d) for d in data[a:b].tolist()]
        if self.kind == "str":
            values = self.values
            return lambda a, b: [values[i] if i >= 0 else None for i in data[a:b].tolist()]
        return lambda a, b: data[a:b].tolist()


class PersonIndex:
    """The rows of one query, whose first column is the person and which is ordered by it, by person.

    Columns are held as numpy arrays (dates as days, strings as dictionary codes, money as cents, grant periods
    as offsets into flat day arrays): about 55 bytes a monthly row, so a Belgian-scale snapshot fits in memory.
    """

    BATCH_ROWS = 1_000_000

    def __init__(self, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> None:
        self.columns = schema.names[1:]
        builders = [_Column(field.name, field.type) for field in list(schema)[1:]]
        self.ranges: dict[str, tuple[int, int]] = {}
        last_person, base = None, 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            runs = pc.run_end_encode(batch.column(0))
            start = 0
            for person, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
                if person == last_person and start == 0:  # a person's rows continue from the previous batch
                    first, _ = self.ranges[person]
                    self.ranges[person] = (first, base + end)
                else:
                    self.ranges[person] = (base + start, base + end)
                start, last_person = end, person
            for builder, column in zip(builders, batch.columns[1:], strict=True):
                builder.add(column)
            base += batch.num_rows
        self.num_rows = base
        self._decoders = [builder.decoder() for builder in builders]

    @classmethod
    def load(cls, connection: duckdb.DuckDBPyConnection, sql: str) -> PersonIndex:
        reader = connection.sql(sql).to_arrow_reader(cls.BATCH_ROWS)
        return cls(reader, reader.schema)

    @classmethod
    def from_table(cls, table: pa.Table) -> PersonIndex:
        return cls(table.to_batches(), table.schema)

    def rows(self, person: str) -> list[tuple]:
        """The person's rows as tuples, in the query's order (columns after the person)."""
        found = self.ranges.get(person)
        if found is None:
            return []
        start, stop = found
        return list(zip(*(decode(start, stop) for decode in self._decoders), strict=True))

    def __len__(self) -> int:
        return self.num_rows


_AMOUNT_ORDER = "ORDER BY person, period, pcsa_cbe_number, allowance_type, household_category, other NULLS FIRST"
_AMOUNT_COLUMNS = (
    "pcsa_cbe_number, allowance_type, household_category, {other} AS other, grant_periods, "
    "CAST(amount * 100 AS BIGINT) AS amount_cents, "
    "covers_whole_period, finality_status, {last} AS is_last"
)


def _amounts_sql(table: str, person: str, other: str, period: str, last: str) -> str:
    columns = _AMOUNT_COLUMNS.format(other=other, last=last)
    return f"SELECT {person} AS person, {period} AS period, {columns} FROM {table} {_AMOUNT_ORDER}"


INDEX_QUERIES = {
    ("MONTH", "BENEFICIARY"): _amounts_sql(
        "monthly_amounts", "beneficiary_ssin", "partner_ssin", "month", "is_last_indemnified_month"
    ),
    ("MONTH", "PARTNER"): _amounts_sql(
        "monthly_amounts_by_partner", "partner_ssin", "beneficiary_ssin", "month", "is_last_indemnified_month"
    ),
    ("YEAR", "BENEFICIARY"): _amounts_sql("yearly_amounts", "beneficiary_ssin", "partner_ssin", "year", "false"),
    ("YEAR", "PARTNER"): _amounts_sql("yearly_amounts_by_partner", "partner_ssin", "beneficiary_ssin", "year", "false"),
    "rights": (
        "SELECT ssin, pcsa_cbe_number, category, begin_date, end_date FROM rights WHERE status = 'ACTIVE' "
        "ORDER BY ssin, pcsa_cbe_number, category, begin_date"
    ),
    "integrations": "SELECT ssin, cbe_number, begin_date, end_date FROM integrations ORDER BY ssin, cbe_number",
}


@dataclass
class LoadedSnapshot:
    """One published snapshot, loaded: access data in dicts, the rest in per-person indexes."""

    snapshot: snapshots.Snapshot
    credentials: dict[str, tuple[str, str]]  # username -> (cbe_number, password_hash)
    authorizations: dict[str, list[Authorization]]  # cbe_number -> its authorisations
    flemish_pcsa: frozenset[str]
    published_at: dt.datetime | None
    indexes: dict

    @property
    def refresh_id(self) -> str:
        return self.snapshot.refresh_id

    @property
    def reference_date(self) -> dt.date:
        return self.snapshot.reference_date

    def amounts(self, grouping: str, role: str) -> PersonIndex:
        return self.indexes[(grouping, role)]

    @property
    def rights(self) -> PersonIndex:
        return self.indexes["rights"]

    @property
    def integrations(self) -> PersonIndex:
        return self.indexes["integrations"]


def _load_memory() -> str:
    """DuckDB's memory limit while loading (``LWW_SERVICE_LOAD_MEMORY``, default 4GB), checked: it goes into SQL."""
    value = os.environ.get("LWW_SERVICE_LOAD_MEMORY", "4GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value):
        raise ValueError(f"LWW_SERVICE_LOAD_MEMORY={value!r}: expected a size such as 4GB or 512MiB")
    return value


def open_snapshot(snapshot: snapshots.Snapshot) -> LoadedSnapshot:
    """Read ``snapshot`` (read-only) into memory."""
    with snapshots.connect(snapshot) as connection:
        # the load sorts every table by person: bound DuckDB's share of a machine the service shares
        connection.execute(f"SET memory_limit = '{_load_memory()}'")
        connection.execute("SET threads = 2")
        credentials = {
            username: (cbe, password_hash)
            for cbe, username, password_hash in connection.execute(
                "SELECT cbe_number, username, password_hash FROM institution_credentials WHERE username IS NOT NULL"
            ).fetchall()
        }
        authorizations: dict[str, list[Authorization]] = {}
        for cbe, operation, legal_context, valid_from, valid_to in connection.execute(
            "SELECT cbe_number, operation, legal_context, valid_from, valid_to FROM authorizations"
        ).fetchall():
            authorizations.setdefault(cbe, []).append(Authorization(operation, legal_context, valid_from, valid_to))
        flemish = frozenset(
            row[0] for row in connection.execute("SELECT cbe_number FROM dim_pcsa WHERE region = 'FLANDERS'").fetchall()
        )
        try:
            rows = connection.execute("SELECT published_at FROM snapshot_info LIMIT 1").fetchall()
            published_at = rows[0][0] if rows else None
        except duckdb.Error:  # a snapshot without it: the age comes from the file instead
            published_at = None
        indexes = {key: PersonIndex.load(connection, sql) for key, sql in INDEX_QUERIES.items()}
    if published_at is None:
        published_at = dt.datetime.fromtimestamp(snapshot.path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
    return LoadedSnapshot(snapshot, credentials, authorizations, flemish, published_at, indexes)


class SnapshotStore:
    """Hands out the current snapshot; notices a switch of ``CURRENT`` at the next request (one ``stat``)."""

    def __init__(self, published: Path) -> None:
        self.published = published
        self._pointer = published / snapshots.CURRENT
        self._stamp: tuple[int, int] | None = None  # CURRENT as last examined
        self._loaded: LoadedSnapshot | None = None
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self.reloads = 0

    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self._pointer)
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns)

    @property
    def loaded(self) -> LoadedSnapshot | None:
        return self._loaded

    def get(self) -> LoadedSnapshot | None:
        """The snapshot to answer from now, or None before the first publication."""
        stamp = self._read_stamp()
        if stamp == self._stamp and (self._loaded is not None or stamp is None):
            return self._loaded
        with self._lock:  # requests arriving during a first load wait here for it
            if stamp == self._stamp and (self._loaded is not None or stamp is None):
                return self._loaded
            self._stamp = stamp
            if self._loaded is None:  # nothing to answer from meanwhile: load in this request
                self._load(stamp)
            elif self._loading is None or not self._loading.is_alive():
                self._loading = threading.Thread(target=self._load, args=(stamp,), name="snapshot-load", daemon=True)
                self._loading.start()
            return self._loaded

    def wait_loaded(self, timeout: float = 60.0) -> LoadedSnapshot | None:
        """Wait for a background load in progress (operators' scripts and tests)."""
        self.get()
        loading = self._loading
        if loading is not None:
            loading.join(timeout)
        return self.get()

    def _load(self, stamp: tuple[int, int] | None) -> None:
        snapshot = snapshots.current(self.published) if stamp is not None else None
        if snapshot is None or (self._loaded is not None and self._loaded.refresh_id == snapshot.refresh_id):
            return
        try:
            loaded = open_snapshot(snapshot)
        except Exception:  # a broken snapshot must not take the service down: keep answering from the old one
            log.exception("cannot load snapshot %s; still serving %s", snapshot.refresh_id, self._loaded)
            if self._loaded is None:
                self._stamp = None  # try again at the next request
                raise
            return
        log.info("serving snapshot %s (R=%s)", snapshot.refresh_id, snapshot.reference_date)
        self._loaded = loaded
        self.reloads += 1
        if self._read_stamp() != stamp:  # CURRENT moved again while loading: look again at the next request
            with self._lock:
                self._stamp = None

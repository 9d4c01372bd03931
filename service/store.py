"""The snapshot the service answers from, with its indexes, swapped when ``CURRENT`` switches.

Measured (bench/README.md): a DuckDB point query costs milliseconds (planning, a scan of the zone maps,
conversion), and three of them per request missed the latency target, so each snapshot gets per-person indexes:
the rows of each table sorted by person (and in the answer's order), as compact numpy columns (days, dictionary
codes, cents; 1.9 GB at Belgian scale), and a sorted array of the people with their row ranges. A request then
finds its person by binary search and slices their rows, no SQL at all. The indexes are built once per snapshot
into ``.npy`` files under ``$LWW_HOME/service-cache/indexes`` and memory-mapped (:class:`IndexCache`), so several worker
processes share one copy in the page cache. The small access tables (credentials, authorisations, Flemish CPAS)
are plain dicts, read by each process.

Hot reload: when ``CURRENT`` changes, the new snapshot is opened (its indexes built if no process has yet) in a
background thread while requests keep being answered from the old one; the swap is one reference assignment,
so a request keeps the snapshot it started with to the end and the next one gets the new snapshot. The very
first load happens in the request (nothing else to answer from). The DuckDB file is closed once read, so
pruning old snapshots never waits on the service.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import json
import logging
import mmap
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kernel import calendar, snapshots
from kernel.errors import LwwError

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
            local = pc.fill_null(encoded.indices.cast(pa.int32()), -1).to_numpy()
            self.chunks.append(np.where(local >= 0, mapping[np.maximum(local, 0)], -1).astype(np.int32))
        else:
            offsets = array.offsets.to_numpy().astype(np.int64)
            flat = array.values.slice(offsets[0], offsets[-1] - offsets[0])
            self.begins.append(self._days(flat.field(0)))
            self.ends.append(self._days(flat.field(1)))
            self.offsets.append(offsets[1:] - offsets[0] + self.total)
            self.total += int(offsets[-1] - offsets[0])

    def arrays(self) -> dict[str, np.ndarray]:
        """The column's final arrays, by part name (what an index file holds)."""
        if self.kind == "periods":
            return {
                "offsets": np.concatenate(self.offsets),
                "begins": np.concatenate(self.begins) if self.begins else np.zeros(0, np.int32),
                "ends": np.concatenate(self.ends) if self.ends else np.zeros(0, np.int32),
            }
        found = {"data": np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int64)}
        if self.kind == "str":
            found["values"] = np.array(list(self.codes), dtype=np.str_) if self.codes else np.zeros(0, "U1")
        return found


_PARTS = {"periods": ("offsets", "begins", "ends"), "str": ("data", "values")}


@functools.lru_cache(maxsize=1 << 16)
def _cached_day(days: int) -> dt.date | None:
    return _day(days)


@functools.lru_cache(maxsize=1 << 16)
def _cached_span(begin: int, end: int) -> tuple[dt.date | None, dt.date | None]:
    return (_day(begin), _day(end))


@functools.lru_cache(maxsize=1 << 16)
def _cached_money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _decoder(kind: str, arrays: dict[str, np.ndarray]):
    """A function (start, stop) -> the Python values of those rows of one column.

    Values repeat across rows and requests (the same months, periods and amounts), so dates, periods and money
    come from small caches keyed by their stored integers, and strings from one vectorised lookup."""
    if kind == "periods":
        offsets, begins, ends = arrays["offsets"], arrays["begins"], arrays["ends"]

        def periods(a: int, b: int) -> list[tuple]:
            bounds = offsets[a : b + 1].tolist()
            first, last = bounds[0], bounds[-1]
            pairs = list(map(_cached_span, begins[first:last].tolist(), ends[first:last].tolist()))
            return [tuple(pairs[bounds[i] - first : bounds[i + 1] - first]) for i in range(len(bounds) - 1)]

        return periods
    data = arrays["data"]
    if kind == "cents":
        return lambda a, b: list(map(_cached_money, data[a:b].tolist()))
    if kind == "date":
        return lambda a, b: list(map(_cached_day, data[a:b].tolist()))
    if kind == "str":
        values = arrays["values"]

        def strings(a: int, b: int) -> list[str | None]:
            codes = data[a:b]
            found = values[codes].tolist() if len(values) else [None] * len(codes)
            if (codes < 0).any():
                found = [None if code < 0 else value for code, value in zip(codes.tolist(), found, strict=True)]
            return found

        return strings
    return lambda a, b: data[a:b].tolist()


_MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)  # Linux 5.14+


def _populate(array: np.memmap) -> None:
    """Map every page of the file into this process now (they are shared, from the page cache).

    Measured at Belgian scale: without it, each request for a person not asked before page-faulted its way
    through a dozen columns, and numpy's ``tolist`` took 1 ms of the request; populating 1.6 GB takes < 1 s.
    Best effort: on a kernel without it, pages are faulted in by the requests as before.
    """
    mapping = getattr(array, "_mmap", None)
    if sys.platform == "linux" and mapping is not None and len(mapping):
        with contextlib.suppress(OSError, ValueError):
            mapping.madvise(_MADV_POPULATE_READ)


class PersonIndex:
    """The rows of one query, whose first column is the person and which is ordered by it, by person.

    Columns are held as numpy arrays (dates as days, strings as dictionary codes, money as cents, grant periods
    as offsets into flat day arrays): about 55 bytes a monthly row. People are a sorted array of their
    identifiers (bytes) with each one's row range, found by binary search: no per-process Python dict, so the
    arrays can be memory-mapped from the index files (:class:`IndexCache`) and shared by every worker process.
    """

    BATCH_ROWS = 1_000_000
    FORMAT = 1

    def __init__(
        self,
        people: np.ndarray,
        starts: np.ndarray,
        stops: np.ndarray,
        columns: list[tuple[str, str, dict[str, np.ndarray]]],
    ) -> None:
        self.people, self.starts, self.stops = people, starts, stops
        self.columns = [name for name, _, _ in columns]
        self._kinds = [kind for _, kind, _ in columns]
        self._arrays = [arrays for _, _, arrays in columns]
        self._width = people.dtype.itemsize
        first = columns[0][2] if columns else {}
        self.num_rows = len(first["offsets"]) - 1 if "offsets" in first else len(first.get("data", ()))
        self._decoders = [_decoder(kind, arrays) for _, kind, arrays in columns]
        self.memo: dict = {}  # for readers that derive values from the stored ones (e.g. rendered XML pieces)

    @classmethod
    def build(cls, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> PersonIndex:
        builders = [_Column(field.name, field.type) for field in list(schema)[1:]]
        ranges: dict[str, list[int]] = {}
        last_person, base = None, 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            runs = pc.run_end_encode(batch.column(0))
            start = 0
            for person, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
                if person == last_person and start == 0:  # a person's rows continue from the previous batch
                    ranges[person][1] = base + end
                else:
                    ranges[person] = [base + start, base + end]
                start, last_person = end, person
            for builder, column in zip(builders, batch.columns[1:], strict=True):
                builder.add(column)
            base += batch.num_rows
        ranges.pop(None, None)  # rows without a person are never asked for
        people = np.array([p.encode() for p in ranges], dtype=np.bytes_) if ranges else np.zeros(0, "S1")
        bounds = np.array(list(ranges.values()), dtype=np.int64).reshape(-1, 2)
        order = np.argsort(people, kind="stable")  # numpy's byte order, whatever the query's collation
        return cls(
            people[order],
            bounds[order, 0].copy(),
            bounds[order, 1].copy(),
            [(b.name, b.kind, b.arrays()) for b in builders],
        )

    @classmethod
    def load(cls, connection: duckdb.DuckDBPyConnection, sql: str) -> PersonIndex:
        reader = connection.sql(sql).to_arrow_reader(cls.BATCH_ROWS)
        return cls.build(reader, reader.schema)

    @classmethod
    def from_table(cls, table: pa.Table) -> PersonIndex:
        return cls.build(table.to_batches(), table.schema)

    # -- files: one .npy per array, memory-mapped when opened ----------------------------------------------
    def files(self) -> dict[str, np.ndarray]:
        found = {"people": self.people, "starts": self.starts, "stops": self.stops}
        for name, arrays in zip(self.columns, self._arrays, strict=True):
            for part, array in arrays.items():
                found[f"{name}.{part}"] = array
        return found

    def describe(self) -> dict:
        return {"columns": [[name, kind] for name, kind in zip(self.columns, self._kinds, strict=True)]}

    @classmethod
    def open(cls, directory: Path, prefix: str, description: dict) -> PersonIndex:
        def mapped(name: str) -> np.ndarray:
            found = np.load(directory / f"{prefix}.{name}.npy", mmap_mode="r", allow_pickle=False)
            _populate(found)
            # a plain ndarray view of the mapping: slicing an np.memmap costs a subclass object per slice
            return found.view(np.ndarray)

        columns = []
        for name, kind in description["columns"]:
            parts = _PARTS.get(kind, ("data",))
            columns.append((name, kind, {part: mapped(f"{name}.{part}") for part in parts}))
        return cls(mapped("people"), mapped("starts"), mapped("stops"), columns)

    def range_of(self, person: str) -> tuple[int, int] | None:
        key = person.encode()
        if len(key) > self._width:
            return None
        i = int(self.people.searchsorted(key))
        if i >= len(self.people) or self.people[i] != key:
            return None
        return int(self.starts[i]), int(self.stops[i])

    def rows(self, person: str, low=None, high=None) -> list[tuple]:
        """The person's rows as tuples, in the query's order (columns after the person); with ``low``/``high``
        (dates or ints, inclusive), only those whose first column lies between them, which the query orders
        within a person: found by binary search before any row is decoded."""
        found = self.bounds(person, low, high)
        return self.decode(*found) if found else []

    def bounds(self, person: str, low=None, high=None) -> tuple[int, int] | None:
        """The positions [start, stop) of the rows :meth:`rows` would give, or None when there are none."""
        found = self.range_of(person)
        if found is None:
            return None
        start, stop = found
        if low is not None or high is not None:
            first = self._arrays[0]["data"][start:stop]
            if low is not None:
                start += int(first.searchsorted(self._raw(low), "left"))
            if high is not None:
                stop = found[0] + int(first.searchsorted(self._raw(high), "right"))
        return (start, stop) if stop > start else None

    def decode(self, start: int, stop: int) -> list[tuple]:
        """Rows [start, stop) as tuples of Python values."""
        return list(zip(*(decode(start, stop) for decode in self._decoders), strict=True))

    def stored(self, start: int, stop: int) -> list:
        """Rows [start, stop) as stored, column by column, without decoding: lists of days (dates), dictionary
        codes (strings; -1 for null, see :meth:`text`), cents, ints and booleans; a periods column as
        ``(offsets, begin days, end days)`` where row i's periods are positions offsets[i]..offsets[i+1]-1."""
        found = []
        for kind, arrays in zip(self._kinds, self._arrays, strict=True):
            if kind == "periods":
                offsets = arrays["offsets"][start : stop + 1].tolist()
                first, last = offsets[0], offsets[-1]
                found.append(
                    (
                        [o - first for o in offsets],
                        arrays["begins"][first:last].tolist(),
                        arrays["ends"][first:last].tolist(),
                    )
                )
            else:
                found.append(arrays["data"][start:stop].tolist())
        return found

    def values(self, column: int, start: int, stop: int) -> list:
        """One column of :meth:`stored` (not a periods column)."""
        return self._arrays[column]["data"][start:stop].tolist()

    def code(self, column: int, text: str) -> int | None:
        """The dictionary code of ``text`` in string column ``column``, or None when no row holds it."""
        codes = self.memo.get(("codes", column))
        if codes is None:
            values = self._arrays[column]["values"].tolist()
            codes = self.memo[("codes", column)] = {value: code for code, value in enumerate(values)}
        return codes.get(text)

    def text(self, column: int, code: int) -> str | None:
        """The string of dictionary code ``code`` of string column ``column`` (as numbered by :meth:`stored`)."""
        return None if code < 0 else str(self._arrays[column]["values"][code])

    @staticmethod
    def day(days: int) -> dt.date | None:
        """A stored day as a date."""
        return _cached_day(days)

    def _raw(self, value) -> int:
        """A value of the first column as stored (dates as days since 1970)."""
        if self._kinds[0] == "date":
            return value.toordinal() - _EPOCH_ORDINAL
        if self._kinds[0] == "int":
            return int(value)
        raise TypeError(f"column {self.columns[0]} ({self._kinds[0]}) cannot bound a search")

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

    @functools.cached_property
    def amounts_date(self) -> dt.date:
        """A(R): what the amounts are as of (their ``referenceDate``, the open end of an amounts request)."""
        return calendar.amounts_date(self.reference_date)

    def amounts(self, grouping: str, role: str) -> PersonIndex:
        return self.indexes[(grouping, role)]

    @property
    def rights(self) -> PersonIndex:
        return self.indexes["rights"]

    @property
    def integrations(self) -> PersonIndex:
        return self.indexes["integrations"]


def load_memory_limit() -> str:
    """DuckDB's memory limit while loading (``LWW_SERVICE_LOAD_MEMORY``, default 4GB), checked: it goes into SQL."""
    value = os.environ.get("LWW_SERVICE_LOAD_MEMORY", "4GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value):
        raise LwwError(f"LWW_SERVICE_LOAD_MEMORY={value!r}: expected a size such as 4GB or 512MiB")
    return value


def _index_name(key) -> str:
    return "-".join(key) if isinstance(key, tuple) else key


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexCache:
    """The per-person indexes of each snapshot, built once into ``.npy`` files and memory-mapped by every process.

    Lives in a folder the service owns (``$LWW_HOME/service-cache/indexes``), never in ``published/``, which only
    publication writes. One folder per snapshot and format, ``<refresh_id>.v<FORMAT>/``: the first process that
    needs it builds it under a file lock (``<refresh_id>.lock``; the others wait on the lock, then open what it
    wrote), in a temporary folder renamed into place once every file is written and fsync'd, so a folder that
    exists is complete. Every worker maps the same files read-only: the page cache holds one copy, however many
    processes serve. Folders of snapshots no longer published are removed after each build (a process still
    mapping one keeps its pages until it lets go).
    """

    def __init__(self, directory: Path, published: Path) -> None:
        self.directory = directory
        self.published = published
        self.builds = 0

    def folder(self, refresh_id: str) -> Path:
        return self.directory / f"{refresh_id}.v{PersonIndex.FORMAT}"

    def indexes(self, snapshot: snapshots.Snapshot) -> dict:
        folder = self.folder(snapshot.refresh_id)
        if not (folder / "index.json").is_file():
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(self.directory / f"{snapshot.refresh_id}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # the other processes wait here; released if the builder dies
                try:
                    if not (folder / "index.json").is_file():
                        self._build(snapshot, folder)
                        self.prune()
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        description = json.loads((folder / "index.json").read_text())
        return {
            key: PersonIndex.open(folder, _index_name(key), description["indexes"][_index_name(key)])
            for key in INDEX_QUERIES
        }

    def _build(self, snapshot: snapshots.Snapshot, folder: Path) -> None:
        for stale in self.directory.glob(f".{folder.name}.tmp-*"):  # a build that died: we hold the lock now
            shutil.rmtree(stale, ignore_errors=True)
        work = self.directory / f".{folder.name}.tmp-{os.getpid()}"
        work.mkdir()
        started = time.perf_counter()
        described = {}
        with snapshots.connect(snapshot) as connection:
            # the build sorts every table by person: bound DuckDB's share of a machine the service shares
            connection.execute(f"SET memory_limit = '{load_memory_limit()}'")
            connection.execute("SET threads = 2")
            connection.execute("SET enable_progress_bar = false")
            for key, sql in INDEX_QUERIES.items():
                index = PersonIndex.load(connection, sql)  # one index in memory at a time
                name = _index_name(key)
                for part, array in index.files().items():
                    target = work / f"{name}.{part}.npy"
                    np.save(target, np.ascontiguousarray(array), allow_pickle=False)
                    _fsync_path(target)
                described[name] = index.describe()
                del index
        manifest = {"refresh_id": snapshot.refresh_id, "format": PersonIndex.FORMAT, "indexes": described}
        (work / "index.json").write_text(json.dumps(manifest, indent=1) + "\n")
        _fsync_path(work / "index.json")
        _fsync_path(work)
        try:
            os.rename(work, folder)
        except OSError:  # built meanwhile by a process that did not see our lock (see prune): theirs is as good
            if not (folder / "index.json").is_file():
                raise
            shutil.rmtree(work, ignore_errors=True)
        _fsync_path(self.directory)
        self.builds += 1
        log.info("built the indexes of %s in %.1f s", snapshot.refresh_id, time.perf_counter() - started)

    def prune(self) -> list[str]:
        """Remove the folders (and locks) of snapshots no longer in ``published/``; returns their names."""
        keep = set(snapshots.list_ids(self.published)) | {snapshots.current_id(self.published)}
        removed = []
        for path in self.directory.iterdir():
            refresh_id = path.name.split(".", 1)[0]
            if path.name.startswith(".") or refresh_id in keep:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path.name)
        return removed


def open_snapshot(snapshot: snapshots.Snapshot, cache: IndexCache) -> LoadedSnapshot:
    """The access tables of ``snapshot`` (read-only) in dicts, its indexes mapped from ``cache``."""
    with snapshots.connect(snapshot) as connection:
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
    indexes = cache.indexes(snapshot)
    if published_at is None:
        published_at = dt.datetime.fromtimestamp(snapshot.path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
    return LoadedSnapshot(snapshot, credentials, authorizations, flemish, published_at, indexes)


class SnapshotStore:
    """Hands out the current snapshot; notices a switch of ``CURRENT`` at the next request (one ``stat``)."""

    def __init__(self, published: Path, cache: Path) -> None:
        self.published = published
        self.cache = IndexCache(cache, published)
        self._pointer = published / snapshots.CURRENT
        self._stamp: tuple[int, int] | None = None  # CURRENT as last examined
        self._loaded: LoadedSnapshot | None = None
        # reentrant: the first load runs under it, and its end takes it again when CURRENT moved meanwhile
        self._lock = threading.RLock()
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
            loaded = open_snapshot(snapshot, self.cache)
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

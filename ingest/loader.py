"""Loading upstream files into the warehouse: one transaction per file, ledger, archive, quarantine, replay.

A file is atomic. It is parsed in streaming (schema checked while parsing; by the fast path of
:mod:`ingest.native` when it can vouch for the file, else by the detailed parser of :mod:`ingest.parser`) into a
Parquet spool beside the warehouse, staged (a view, never committed), checked (business rules over the staged rows
joined to what is loaded), then copied into its raw table with its ledger row, all in one DuckDB transaction: a
crash anywhere before COMMIT leaves nothing (a leftover spool file is only a cache, removed in ``finally`` and at
the start of the next ingest). After COMMIT the file moves to ``archive/<kind>/<YYYY-MM>/``; a crash between the
COMMIT and the move is harmless, because the next run finds the fileId in the ledger with the same sha-256 (a
no-op) and only moves the file.

Several files at once: the parse is pure (file -> checked Arrow batches -> spool) and costs most of the ingest,
so a batch of files is parsed ahead by a pool of processes (``LWW_INGEST_WORKERS``, default one per core), while
this process, the single writer, applies them one at a time in (createdAt, fileId) order exactly as it would
have parsed them itself: ledger check, stage, business rules against everything committed before (earlier files
of the same batch included), insert, COMMIT, archive; a file whose parse failed is quarantined at its turn. The
pool only reads files and writes spools: it never opens the warehouse. With one worker, or a single file to
parse, nothing is started and each file is parsed in this process when its turn comes.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest import ledger
from ingest.native import Abandoned, NativeRead
from ingest.native import enabled as fast_path_enabled
from ingest.parser import UpstreamFile, read_header
from ingest.rules import STAGE, SsinScan, check_staged
from ingest.schemas import KINDS
from ingest.security import Limits
from ingest.violations import FileRejected, Violation
from kernel.errors import LwwError
from kernel.raw_tables import create_all
from kernel.settings import Settings, env_number

Progress = Callable[[str, int], None]  # (file name, rows read so far in that file)

SPOOL_PREFIX = ".staging-"  # spool files beside the warehouse: caches of one ingest, never kept


def ingest_memory_limit() -> str:
    """DuckDB's ``memory_limit`` while files are staged, checked and inserted (``LWW_INGEST_MEMORY_LIMIT``).

    Small on purpose: beyond it DuckDB spills sorts, windows and hash tables to disk, so the loader's peak does not
    grow with the file (measured: 1 GB file 0.6 GB without a limit). Restored afterwards.
    """
    return os.environ.get("LWW_INGEST_MEMORY_LIMIT", "64MB")


@contextmanager
def _writer_settings(connection):
    """Bounded memory while ingesting: ``memory_limit`` (above), and ``preserve_insertion_order`` off so that
    an INSERT need not buffer rows to keep their order (raw tables have no meaningful physical order: every reader
    orders by keys). The connection's own values come back afterwards."""
    wanted = {"memory_limit": ingest_memory_limit(), "preserve_insertion_order": False}
    before = {name: connection.execute(f"SELECT current_setting('{name}')").fetchone()[0] for name in wanted}

    def apply(values: dict) -> None:
        for name, value in values.items():
            literal = str(value).lower() if isinstance(value, bool) else "'" + str(value).replace("'", "''") + "'"
            connection.execute(f"SET {name} = {literal}")

    apply(wanted)
    try:
        yield
    finally:
        for name, value in before.items():  # RESET first: a printed limit ("18.8 GiB") does not round-trip exactly
            connection.execute(f"RESET {name}")
            if connection.execute(f"SELECT current_setting('{name}')").fetchone()[0] != value:
                apply({name: value})


def ingest_workers() -> int:
    """Parse processes for a batch of files (``LWW_INGEST_WORKERS``, default: the machine's cores).

    1 parses each file in the loading process when its turn comes (no pool).
    """
    return max(1, env_number("LWW_INGEST_WORKERS", os.cpu_count() or 1))


@dataclass(frozen=True)
class PendingFile:
    """A file waiting in the inbox (or in quarantine, for a replay), known from its root start tag only."""

    path: Path
    kind: str
    file_id: str | None
    created_at: dt.datetime | None
    reporting_month: dt.date | None
    header_error: FileRejected | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def order(self) -> tuple:
        """Files are processed in (createdAt, fileId) order; unreadable headers last, by name."""
        return (self.created_at is None, self.created_at or dt.datetime.min, self.file_id or "", self.name)


@dataclass(frozen=True)
class FileOutcome:
    name: str
    kind: str
    file_id: str | None
    status: str  # loaded | skipped | quarantined
    rows: int = 0
    seconds: float = 0.0
    reason: str | None = None
    violations: tuple[Violation, ...] = ()
    destination: Path | None = None
    fast: bool = False  # loaded through the fast path (ingest.native), not the detailed parser


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def _with(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def loaded(self) -> list[FileOutcome]:
        return self._with("loaded")

    @property
    def skipped(self) -> list[FileOutcome]:
        return self._with("skipped")

    @property
    def quarantined(self) -> list[FileOutcome]:
        return self._with("quarantined")

    @property
    def lines(self) -> int:
        return sum(o.rows for o in self.loaded)

    def summary(self) -> str:
        return (
            f"{len(self.loaded)} file(s) loaded ({self.lines} lines), {len(self.skipped)} skipped, "
            f"{len(self.quarantined)} quarantined in {self.seconds:.1f} s"
        )


def _inboxes(settings: Settings) -> dict[str, Path]:
    return {"payments": settings.payments_inbox, "rights": settings.rights_inbox}


def describe(path: Path, kind: str, limits: Limits | None = None) -> PendingFile:
    try:
        header = read_header(path, limits, expected_kind=kind)
    except FileRejected as error:
        return PendingFile(path, kind, None, None, None, error)
    return PendingFile(path, kind, header.file_id, header.created_at, header.reporting_month)


def pending_files(settings: Settings, kind: str | None = None, limits: Limits | None = None) -> list[PendingFile]:
    """The inbox's XML files in processing order, each described from its root start tag only (cheap)."""
    limits = limits or Limits.from_env()
    found: list[PendingFile] = []
    for name, folder in _inboxes(settings).items():
        if kind not in (None, name) or not folder.is_dir():
            continue
        # a symbolic link is taken too, to be quarantined with its reason (never followed, never left behind)
        found.extend(
            describe(path, name, limits) for path in sorted(folder.glob("*.xml")) if path.is_symlink() or path.is_file()
        )
    return sorted(found, key=lambda f: f.order)


def ingest_inbox(
    connection,
    settings: Settings,
    kind: str | None = None,
    progress: Progress | None = None,
    limits=None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest everything new in the inbox (the whole API the pipeline needs in one call)."""
    return ingest_files(connection, settings, pending_files(settings, kind, limits), progress, limits, workers)


def ingest_files(
    connection,
    settings: Settings,
    files: Iterable[PendingFile],
    progress: Progress | None = None,
    limits: Limits | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Load ``files`` (in (createdAt, fileId) order) into ``connection`` (a read-write DuckDB connection to
    ``settings.warehouse``); loaded files go to the archive, rejected ones to quarantine.

    ``workers`` (default :func:`ingest_workers`) processes parse files ahead of the loader; the outcome is the
    same as one file after another. ``progress`` is called with the rows read while a file is parsed here, and
    once with its row count when a file parsed ahead comes to be loaded.
    """
    limits = limits or Limits.from_env()
    workers = ingest_workers() if workers is None else max(1, workers)
    create_all(connection)
    _clear_spools(settings.warehouse_dir)
    ordered = sorted(files, key=lambda f: f.order)
    report = IngestReport()
    started = time.perf_counter()
    with _writer_settings(connection):
        ahead = [f for f in ordered if f.header_error is None and ledger.ledger_entry(connection, f.file_id) is None]
        if workers > 1 and len(ahead) > 1:
            with _ParseAhead(settings, ahead, workers, limits) as parsed:
                for pending in ordered:
                    report.outcomes.append(
                        _ingest_one(connection, settings, pending, progress, limits, parsed.take(pending))
                    )
        else:
            for pending in ordered:
                report.outcomes.append(_ingest_one(connection, settings, pending, progress, limits))
    report.seconds = time.perf_counter() - started
    return report


def _ingest_one(
    connection,
    settings: Settings,
    pending: PendingFile,
    progress: Progress | None,
    limits: Limits,
    ahead: Future | None = None,
) -> FileOutcome:
    """One file, in its turn: ledger check, then load (from the spool parsed ahead, if any) or quarantine."""
    started = time.perf_counter()
    path = pending.path
    spooled: Spooled | None = None
    if ahead is not None:
        spooled = ahead.result()  # an unexpected error of the worker (not a FileRejected) propagates, as here
    # the hash comes with the parse (the fast path hashes the bytes it validates): a separate pass over the file
    # only when it is needed first (a fileId already in the ledger) or the parse gave none (a refusal)
    sha = spooled.sha256 if spooled is not None else None
    try:
        if pending.header_error is not None:
            raise pending.header_error
        existing = ledger.ledger_entry(connection, pending.file_id)
        if existing is not None:
            sha = sha or ledger.sha256_of(path)
            if existing.sha256 == sha:
                destination = _archive(settings, pending, sha)
                return FileOutcome(
                    path.name,
                    pending.kind,
                    pending.file_id,
                    "skipped",
                    0,
                    time.perf_counter() - started,
                    "already loaded (same fileId and content)",
                    destination=destination,
                )
            raise FileRejected(
                "conflict",
                [
                    Violation(
                        rule="file-id-conflict",
                        message=f"fileId {pending.file_id} was already loaded from {existing.file_name} "
                        f"with other content (sha-256 {existing.sha256[:12]}…)",
                        field="fileId",
                        value=pending.file_id,
                        hint="a corrected file needs a new fileId; the loaded one is never replaced",
                    )
                ],
            )
        if spooled is None:
            spooled = spool_file(pending, limits, _new_spool(settings.warehouse_dir), None, progress)
            sha = spooled.sha256
        elif progress is not None and spooled.rejected is None:
            progress(pending.name, spooled.rows)
        try:
            rows = _apply(connection, pending, spooled)
        except FileRejected as rejected:
            if not spooled.native or rejected.category != "business":
                raise
            # read by the fast path, which does not note XML line numbers: read again in detail, so that the
            # reason names the lines exactly (and the detailed parser's verdict is the one of record)
            spooled.discard()
            spooled = spool_file(pending, limits, _new_spool(settings.warehouse_dir), sha, progress, native=False)
            rows = _apply(connection, pending, spooled)
    except FileRejected as rejected:
        destination = quarantine(connection, settings, pending, sha or ledger.sha256_of(path), rejected)
        return FileOutcome(
            path.name,
            pending.kind,
            pending.file_id,
            "quarantined",
            0,
            time.perf_counter() - started,
            rejected.summary(),
            tuple(rejected.violations),
            destination,
        )
    finally:
        if spooled is not None:
            spooled.discard()
    destination = _archive(settings, pending, sha)
    seconds = time.perf_counter() - started
    return FileOutcome(
        path.name, pending.kind, pending.file_id, "loaded", rows, seconds, destination=destination, fast=spooled.native
    )


@dataclass(frozen=True)
class Spooled:
    """A file parsed into a spool (or refused while parsing): what the loader needs to apply it in its turn."""

    sha256: str
    rows: int
    spool: Path | None
    rejected: FileRejected | None = None
    ssins: SsinScan | None = None
    native: bool = False  # read by the fast path (ingest.native): no XML line numbers in the spool

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.unlink(missing_ok=True)


def _new_spool(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{SPOOL_PREFIX}{uuid.uuid4().hex}.parquet"


def _clear_spools(folder: Path) -> None:
    """Remove spools left by a killed ingest (the writer lock makes this run the only ingest)."""
    if folder.is_dir():
        for leftover in folder.glob(f"{SPOOL_PREFIX}*.parquet"):
            leftover.unlink(missing_ok=True)


def spool_file(
    pending: PendingFile,
    limits: Limits,
    spool: Path,
    sha: str | None = None,
    progress: Progress | None = None,
    native: bool | None = None,
) -> Spooled:
    """Parse one file (schema checked while streaming) into a Parquet spool, written batch by batch (flat), and
    check its SSINs on the way (pure work, so it runs in the parse pool too).

    The fast path (:mod:`ingest.native`, unless ``native`` is False or ``LWW_INGEST_NATIVE=0``) reads it first
    and hashes what it reads; when it abandons, for whatever reason, the detailed parser reads the file again and
    decides. ``sha``: the file's sha-256 if already known (a fast read of other bytes is then abandoned).
    Pure: reads the file, writes the spool, touches no database. Raises :class:`FileRejected`; the partial spool
    is removed then.
    """
    upstream = UpstreamFile.open(pending.path, limits, expected_kind=pending.kind)
    if native is None:
        native = fast_path_enabled()
    if native:
        reading = NativeRead(upstream, upstream.batch_rows)
        try:
            spooled = _write_spool(pending, upstream, reading.batches(), spool, progress)
        except Abandoned:
            pass
        else:
            if sha is None or reading.sha256 == sha:
                return replace(spooled, sha256=reading.sha256, native=True)
            spooled.discard()  # the file changed since it was hashed: let the detailed parser read it
        upstream = UpstreamFile.open(pending.path, limits, expected_kind=pending.kind)
    sha = sha or ledger.sha256_of(pending.path)
    return replace(_write_spool(pending, upstream, upstream.batches(), spool, progress), sha256=sha)


def _write_spool(
    pending: PendingFile,
    upstream: UpstreamFile,
    batches: Iterable[pa.RecordBatch],
    spool: Path,
    progress: Progress | None,
) -> Spooled:
    ssins = SsinScan(upstream.kind.name)
    rows = 0
    try:
        # a spool is read once, whole, a moment later: no compression, no dictionaries, no statistics (a third of
        # the writing time; measured: 0.21 -> 0.07 s for 250,000 lines, reading unchanged, 3 x larger on disk)
        with pq.ParquetWriter(
            spool, upstream.schema, compression="none", use_dictionary=False, write_statistics=False
        ) as writer:
            for batch in batches:
                writer.write_batch(batch)
                ssins.add(batch)
                rows += batch.num_rows
                if progress is not None:
                    progress(pending.name, rows)
    except BaseException:
        spool.unlink(missing_ok=True)
        raise
    return Spooled("", rows, spool, ssins=ssins)


def _spool_in_worker(pending: PendingFile, limits: Limits, spool: Path) -> Spooled:
    """What a pool process runs: hash and parse one file; a refusal is returned, to be quarantined in turn."""
    try:
        return spool_file(pending, limits, spool, None)
    except FileRejected as rejected:
        return Spooled(ledger.sha256_of(pending.path), 0, None, rejected)


class _ParseAhead:
    """Parses files ahead of the loader in a process pool, at most ``2 × workers`` files ahead (bounded disk)."""

    def __init__(self, settings: Settings, files: list[PendingFile], workers: int, limits: Limits) -> None:
        self.settings = settings
        self.limits = limits
        self.waiting = deque(files)
        self.window = 2 * workers
        self.futures: dict[Path, Future] = {}
        self.spools: list[Path] = []
        # spawn: a fresh interpreter, never a fork of a process whose DuckDB threads may hold locks
        self.pool = ProcessPoolExecutor(
            max_workers=min(workers, len(files)), mp_context=multiprocessing.get_context("spawn")
        )

    def __enter__(self) -> _ParseAhead:
        self._fill()
        return self

    def _fill(self) -> None:
        while self.waiting and len(self.futures) < self.window:
            pending = self.waiting.popleft()
            spool = _new_spool(self.settings.warehouse_dir)
            self.spools.append(spool)
            self.futures[pending.path] = self.pool.submit(_spool_in_worker, pending, self.limits, spool)

    def take(self, pending: PendingFile) -> Future | None:
        """The parse of ``pending`` if it was sent ahead (files in the ledger or with a bad header are not)."""
        future = self.futures.pop(pending.path, None)
        self._fill()
        return future

    def __exit__(self, *exc) -> None:
        for future in self.futures.values():
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
        for spool in self.spools:
            spool.unlink(missing_ok=True)


def _apply(connection, pending: PendingFile, spooled: Spooled) -> int:
    """Stage, check and insert one parsed file in one transaction; raises FileRejected (nothing loaded).

    The stage is a temporary view over the spool: the rules and the INSERT read the Parquet file, and no copy of
    the file is written to the warehouse before its lines (a staged table written then dropped cost a second
    write of every line, and its blocks stayed in memory: 0.6 GB for a 1 GB file). The view is dropped before
    COMMIT, never committed.
    """
    if spooled.rejected is not None:
        raise spooled.rejected
    kind = KINDS[pending.kind]
    table = kind.table
    connection.execute("BEGIN TRANSACTION")
    try:
        spool = str(spooled.spool).replace("'", "''")  # a view's text cannot take a parameter
        connection.execute(f"CREATE OR REPLACE TEMP VIEW {STAGE} AS SELECT * FROM read_parquet('{spool}')")
        violations, total = check_staged(connection, kind.name, spooled.ssins)
        if violations:
            raise FileRejected("business", violations, total)
        names = ", ".join(table.column_names)
        connection.execute(f"INSERT INTO {table.qualified} ({names}) SELECT {names} FROM {STAGE}")
        ledger.record_loaded(
            connection,
            file_id=pending.file_id,
            kind=kind.name,
            file_name=pending.name,
            sha256=spooled.sha256,
            rows=spooled.rows,
            created_at=pending.created_at,
            reporting_month=pending.reporting_month,
        )
        connection.execute(f"DROP VIEW {STAGE}")
        connection.execute("COMMIT")
        return spooled.rows
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _free_name(folder: Path, name: str, sha: str) -> Path:
    """``folder/name``, or a name suffixed with the content hash when another file already has it."""
    target = folder / name
    if not (target.exists() or target.is_symlink()) or ledger.sha256_of(target) == sha:
        return target
    stem, dot, suffix = name.rpartition(".")
    return folder / (f"{stem}.{sha[:12]}.{suffix}" if dot else f"{name}.{sha[:12]}")


def _move(source: Path, target: Path) -> Path:
    """Move ``source`` (a file, or a symbolic link itself: never what it points to) to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.parent.resolve() / source.name == target.parent.resolve() / target.name:
        return target
    if source.lstat().st_dev == target.parent.stat().st_dev:
        os.replace(source, target)
    else:
        shutil.move(source, target)
    return target


def _archive(settings: Settings, pending: PendingFile, sha: str) -> Path:
    month = pending.reporting_month.strftime("%Y-%m") if pending.reporting_month else "unknown"
    folder = settings.archive / pending.kind / month
    return _move(pending.path, _free_name(folder, pending.name, sha))


def reason_text(pending: PendingFile, rejected: FileRejected) -> str:
    """The human-readable reason file written beside a quarantined file."""
    lines = [
        f"file: {pending.name}",
        f"kind: {pending.kind}",
        f"fileId: {pending.file_id or '(unreadable)'}",
        f"quarantined at: {ledger.utc_now().isoformat(timespec='seconds')} UTC",
        f"reason: {rejected.category} ({rejected.count} violation(s)"
        + (f", the first {len(rejected.violations)} listed" if rejected.count > len(rejected.violations) else "")
        + ")",
        "nothing of this file was loaded.",
        "",
    ]
    lines += [f"- {v.describe()}" for v in rejected.violations]
    lines += [
        "",
        "To load it once fixed: correct this file in place, then run "
        f"`lww replay {pending.name}`; the reason file goes away when it loads.",
    ]
    return "\n".join(lines) + "\n"


def quarantine(connection, settings: Settings, pending: PendingFile, sha: str, rejected: FileRejected) -> Path:
    """Move the file to quarantine with ``<name>.reason.txt`` beside it, and register it."""
    settings.quarantine.mkdir(parents=True, exist_ok=True)
    target = _free_name(settings.quarantine, pending.name, sha)
    target = _move(pending.path, target)
    moved = PendingFile(target, pending.kind, pending.file_id, pending.created_at, pending.reporting_month)
    reason_path = target.with_name(target.name + ".reason.txt")
    reason_path.write_text(reason_text(moved, rejected), encoding="utf-8")
    first = rejected.violations[0] if rejected.violations else None
    create_all(connection)
    ledger.record_quarantined(
        connection,
        file_name=target.name,
        kind=pending.kind,
        file_id=pending.file_id,
        sha256=sha,
        reason=rejected.summary(),
        line_no=first.line_no if first else None,
        field=first.field if first else None,
        errors=rejected.count,
    )
    return target


def _quarantined_name(settings: Settings, name: str) -> str:
    """The name of a file directly inside ``settings.quarantine``: ``name`` itself, or the last part of a path
    that leads there. Anything else is refused: replay loads files from the quarantine folder only."""
    given = Path(name)
    if given.name == name and name not in ("", ".", ".."):
        return name
    if given.name not in ("", ".", "..") and given.parent.resolve() == settings.quarantine.resolve():
        return given.name
    raise LwwError(
        f"{name!r} is not a file of {settings.quarantine}: replay takes the name of a quarantined file "
        "(as listed there) and loads files from that folder only"
    )


def replay(connection, settings: Settings, name: str, progress: Progress | None = None, limits=None) -> FileOutcome:
    """Re-validate and load a quarantined file once fixed (in place, in ``settings.quarantine``).

    Loaded: the file moves to the archive, its reason file is removed and its quarantine rows get
    ``released_at``. Still wrong: it stays in quarantine with a fresh reason file and a new quarantine row.
    """
    limits = limits or Limits.from_env()
    name = _quarantined_name(settings, name)
    path = settings.quarantine / name
    if path.is_symlink():
        raise LwwError(
            f"{name!r} in {settings.quarantine} is a symbolic link, which is never followed: put the file itself "
            "in its place, then replay it"
        )
    if not path.is_file() or name.endswith(".reason.txt"):
        raise LwwError(f"no quarantined file {name!r} in {settings.quarantine}: give the name of a file listed there")
    create_all(connection)
    kind = ledger.quarantined_kind(connection, name)
    if kind is None:
        try:
            kind = read_header(path, limits).kind.name
        except FileRejected:
            raise LwwError(
                f"{name}: cannot tell payments from rights (unreadable root); fix its root element"
            ) from None
    if kind not in KINDS:
        raise LwwError(f"{name}: unknown kind {kind!r}")
    pending = describe(path, kind, limits)
    outcome = _ingest_one(connection, settings, pending, progress, limits)
    if outcome.status in ("loaded", "skipped"):
        reason = path.with_name(name + ".reason.txt")
        reason.unlink(missing_ok=True)
        ledger.mark_released(connection, name)
    return outcome

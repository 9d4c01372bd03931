"""Loading upstream files into the warehouse: one transaction per file, with its ledger row.

A file is atomic. Following one file from the inbox to the ledger (:func:`ingest_files`):

1. **the inbox** (:mod:`ingest.inbox`) says what waits, in (createdAt, fileId) order, from each root start tag;
2. **the ledger**: a fileId already loaded with the same sha-256 is skipped (a no-op), with other content refused;
3. **the reading** (:mod:`ingest.spool`, which may have read it ahead in another process, over
   :mod:`ingest.reader`, which chooses the parser): the file's checked batches in a Parquet spool, or a verdict;
4. **the transaction** (here): the spool staged as a temporary view (never committed), the business rules of
   :mod:`ingest.rules` checked against everything committed before (earlier files of the same batch included),
   the rows copied into the raw table with the ledger row, COMMIT; a crash anywhere before COMMIT leaves nothing;
5. **the inbox** again: the file moves to the archive, or to quarantine with its reason.

A crash between the COMMIT and the move is harmless: the next run finds the fileId in the ledger with the same
sha-256 and only moves the file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingest import inbox, ledger, rules
from ingest.inbox import PendingFile, pending_files
from ingest.reader import Progress, Reader, Reading
from ingest.rules import STAGE
from ingest.security import Limits
from ingest.spool import ReadAhead, clear_spools, ingest_workers
from ingest.violations import FileRejected, Violation
from kernel.raw_tables import create_all
from kernel.settings import Settings

__all__ = ["FileOutcome", "IngestReport", "PendingFile", "ingest_files", "ingest_inbox", "pending_files", "replay"]


def ingest_memory_limit() -> str:
    """DuckDB's ``memory_limit`` while files are staged, checked and inserted (``LWW_INGEST_MEMORY_LIMIT``).

    Small on purpose: beyond it DuckDB spills sorts, windows and hash tables to disk, so the loader's peak does not
    grow with the file (without a limit it did: bench/README.md). Restored afterwards.
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

    ``workers`` (default :func:`ingest.spool.ingest_workers`) processes read files ahead of the loader; the outcome
    is the same as one file after another. ``progress`` is called with the rows read while a file is read here,
    and once with its row count when a file read ahead comes to be loaded.
    """
    reader = Reader(limits or Limits.from_env())
    workers = ingest_workers() if workers is None else max(1, workers)
    create_all(connection)
    clear_spools(settings.warehouse_dir)
    ordered = sorted(files, key=lambda f: f.order)
    report = IngestReport()
    started = time.perf_counter()
    with _writer_settings(connection):
        ahead = [f for f in ordered if f.header_error is None and ledger.ledger_entry(connection, f.file_id) is None]
        with ReadAhead(reader, settings.warehouse_dir, ahead, workers) as files_ahead:
            for pending in ordered:
                report.outcomes.append(_ingest_one(connection, settings, pending, files_ahead, progress))
    report.seconds = time.perf_counter() - started
    return report


def _ingest_one(
    connection, settings: Settings, pending: PendingFile, files: ReadAhead, progress: Progress | None
) -> FileOutcome:
    """One file, in its turn: ledger check, then load (in one transaction) and archive, or quarantine."""
    started = time.perf_counter()
    sha: str | None = None
    try:
        if pending.header_error is not None:
            raise pending.header_error
        existing = ledger.ledger_entry(connection, pending.file_id)
        if existing is not None:
            sha = files.forgo(pending)
            if existing.sha256 != sha:
                raise FileRejected("conflict", [_conflict(pending, existing)])
            destination = inbox.archive(settings, pending, sha)
            reason = "already loaded (same fileId and content)"
            return _outcome(pending, "skipped", started, reason=reason, destination=destination)
        reading = _load(connection, pending, files, progress)
        sha = reading.sha256
        if reading.verdict is not None:
            raise reading.verdict
    except FileRejected as rejected:
        destination = inbox.quarantine(connection, settings, pending, sha or ledger.sha256_of(pending.path), rejected)
        why = {"reason": rejected.summary(), "violations": tuple(rejected.violations)}
        return _outcome(pending, "quarantined", started, destination=destination, **why)
    destination = inbox.archive(settings, pending, sha)
    return _outcome(pending, "loaded", started, rows=reading.rows, destination=destination, fast=reading.native)


def _outcome(pending: PendingFile, status: str, started: float, **details) -> FileOutcome:
    seconds = time.perf_counter() - started
    return FileOutcome(pending.name, pending.kind, pending.file_id, status, seconds=seconds, **details)


def _conflict(pending: PendingFile, existing: ledger.LedgerEntry) -> Violation:
    return Violation(
        rule="file-id-conflict",
        message=f"fileId {pending.file_id} was already loaded from {existing.file_name} "
        f"with other content (sha-256 {existing.sha256[:12]}…)",
        field="fileId",
        value=pending.file_id,
        hint="a corrected file needs a new fileId; the loaded one is never replaced",
    )


def _load(connection, pending: PendingFile, files: ReadAhead, progress: Progress | None) -> Reading:
    """Read, stage, check and insert one file in one transaction; a reading with a verdict loads nothing.

    The stage is a temporary view over the spool: the rules and the INSERT read the Parquet file, and no copy of
    the file is written to the warehouse before its lines (a staged table written then dropped cost a second
    write of every line, and its blocks stayed in memory). The view is dropped before COMMIT, never committed.
    """
    connection.execute("BEGIN TRANSACTION")
    reading: Reading | None = None
    try:
        reading = files.read(pending, rules.judge(connection, pending.kind), progress)
        if reading.verdict is not None:
            connection.execute("ROLLBACK")
            return reading
        table = reading.table
        names = ", ".join(table.column_names)
        rules.stage(connection, reading.spool)
        connection.execute(f"INSERT INTO {table.qualified} ({names}) SELECT {names} FROM {STAGE}")
        ledger.record_loaded(
            connection,
            file_id=pending.file_id,
            kind=pending.kind,
            file_name=pending.name,
            sha256=reading.sha256,
            rows=reading.rows,
            created_at=pending.created_at,
            reporting_month=pending.reporting_month,
        )
        connection.execute(f"DROP VIEW {STAGE}")
        connection.execute("COMMIT")
        return reading
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        if reading is not None:
            reading.discard()


def replay(connection, settings: Settings, name: str, progress: Progress | None = None, limits=None) -> FileOutcome:
    """Re-validate and load a quarantined file once fixed (in place, in ``settings.quarantine``).

    Loaded: the file moves to the archive, its reason file is removed and its quarantine rows get
    ``released_at``. Still wrong: it stays in quarantine with a fresh reason file and a new quarantine row.
    """
    reader = Reader(limits or Limits.from_env())
    pending = inbox.replay_file(connection, settings, name, reader.limits)
    with ReadAhead(reader, settings.warehouse_dir, [], 1) as files:
        outcome = _ingest_one(connection, settings, pending, files, progress)
    if outcome.status in ("loaded", "skipped"):
        inbox.release(connection, settings, pending.name)
    return outcome

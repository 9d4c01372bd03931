"""Loading upstream files into the warehouse: one transaction per file, ledger, archive, quarantine, replay.

A file is atomic. It is parsed in streaming (schema checked while parsing) into a Parquet spool beside the
warehouse, staged into a table that is never committed, checked (business rules over the staged rows joined to
what is loaded), then copied into its raw table with its ledger row, all in one DuckDB transaction: a crash
anywhere before COMMIT leaves nothing (a leftover spool file is only a cache, removed in ``finally``). After
COMMIT the file moves to ``archive/<kind>/<YYYY-MM>/``; a crash between the COMMIT and the move is harmless,
because the next run finds the fileId in the ledger with the same sha-256 (a no-op) and only moves the file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from ingest import ledger
from ingest.parser import UpstreamFile, read_header
from ingest.rules import STAGE, check_staged
from ingest.schemas import KINDS
from ingest.security import Limits
from ingest.violations import FileRejected, Violation
from kernel.errors import LwwError
from kernel.raw_tables import create_all
from kernel.settings import Settings

Progress = Callable[[str, int], None]  # (file name, rows read so far in that file)


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
        found.extend(describe(path, name, limits) for path in sorted(folder.glob("*.xml")) if path.is_file())
    return sorted(found, key=lambda f: f.order)


def ingest_inbox(
    connection, settings: Settings, kind: str | None = None, progress: Progress | None = None, limits=None
) -> IngestReport:
    """Ingest everything new in the inbox (the whole API the pipeline needs in one call)."""
    return ingest_files(connection, settings, pending_files(settings, kind, limits), progress, limits)


def ingest_files(
    connection,
    settings: Settings,
    files: Iterable[PendingFile],
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> IngestReport:
    """Load ``files`` (in (createdAt, fileId) order) into ``connection`` (a read-write DuckDB connection to
    ``settings.warehouse``); loaded files go to the archive, rejected ones to quarantine."""
    limits = limits or Limits.from_env()
    create_all(connection)
    report = IngestReport()
    started = time.perf_counter()
    for pending in sorted(files, key=lambda f: f.order):
        report.outcomes.append(_ingest_one(connection, settings, pending, progress, limits))
    report.seconds = time.perf_counter() - started
    return report


def _ingest_one(
    connection, settings: Settings, pending: PendingFile, progress: Progress | None, limits: Limits
) -> FileOutcome:
    started = time.perf_counter()
    path = pending.path
    sha = ledger.sha256_of(path)
    try:
        if pending.header_error is not None:
            raise pending.header_error
        existing = ledger.ledger_entry(connection, pending.file_id)
        if existing is not None:
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
        rows = _load(connection, pending, sha, progress, limits, settings.warehouse_dir)
    except FileRejected as rejected:
        destination = quarantine(connection, settings, pending, sha, rejected)
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
    destination = _archive(settings, pending, sha)
    return FileOutcome(
        path.name, pending.kind, pending.file_id, "loaded", rows, time.perf_counter() - started, destination=destination
    )


def _load(connection, pending: PendingFile, sha: str, progress: Progress | None, limits: Limits, spool: Path) -> int:
    """Stage, check and insert one file in one transaction; raises FileRejected (nothing loaded).

    The parsed batches are first spooled to a Parquet file beside the warehouse (written batch by batch: flat), then
    staged with one ``CREATE TABLE AS``: DuckDB writes a single large append optimistically to the database file,
    whereas fifty-thousand-row appends inside an open transaction stay in memory until COMMIT (measured: the whole
    ingest of a 1 GB file peaked at 0.8 GB that way). The stage table is dropped before COMMIT, never committed.
    """
    upstream = UpstreamFile.open(pending.path, limits, expected_kind=pending.kind)
    kind = upstream.kind
    table = kind.table
    spool.mkdir(parents=True, exist_ok=True)
    spooled = spool / f".staging-{uuid.uuid4().hex}.parquet"
    rows = 0
    try:
        with pq.ParquetWriter(spooled, upstream.schema, compression="none") as writer:
            for batch in upstream.batches():
                writer.write_batch(batch)
                rows += batch.num_rows
                if progress is not None:
                    progress(pending.name, rows)
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(f"DROP TABLE IF EXISTS {STAGE}")
            connection.execute(f"CREATE TABLE {STAGE} AS SELECT * FROM read_parquet(?)", [str(spooled)])
            violations, total = check_staged(connection, kind.name)
            if violations:
                raise FileRejected("business", violations, total)
            names = ", ".join(table.column_names)
            connection.execute(f"INSERT INTO {table.qualified} ({names}) SELECT {names} FROM {STAGE}")
            header = upstream.header
            ledger.record_loaded(
                connection,
                file_id=header.file_id,
                kind=kind.name,
                file_name=pending.name,
                sha256=sha,
                rows=rows,
                created_at=header.created_at,
                reporting_month=header.reporting_month,
            )
            connection.execute(f"DROP TABLE {STAGE}")
            connection.execute("COMMIT")
            return rows
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    finally:
        spooled.unlink(missing_ok=True)


def _free_name(folder: Path, name: str, sha: str) -> Path:
    """``folder/name``, or a name suffixed with the content hash when another file already has it."""
    target = folder / name
    if not target.exists() or ledger.sha256_of(target) == sha:
        return target
    stem, dot, suffix = name.rpartition(".")
    return folder / (f"{stem}.{sha[:12]}.{suffix}" if dot else f"{name}.{sha[:12]}")


def _move(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.resolve() == target.resolve():
        return target
    os.replace(source, target) if source.stat().st_dev == target.parent.stat().st_dev else shutil.move(source, target)
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


def replay(connection, settings: Settings, name: str, progress: Progress | None = None, limits=None) -> FileOutcome:
    """Re-validate and load a quarantined file once fixed (in place, in ``settings.quarantine``).

    Loaded: the file moves to the archive, its reason file is removed and its quarantine rows get
    ``released_at``. Still wrong: it stays in quarantine with a fresh reason file and a new quarantine row.
    """
    limits = limits or Limits.from_env()
    path = settings.quarantine / name
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

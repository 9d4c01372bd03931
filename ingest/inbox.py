"""The inbox and where files go from it: what waits, the archive, quarantine with its reason file, replay.

Every movement of an upstream file is here, and nothing else: a file is described from its root start tag only
(:func:`pending_files`), moved to ``archive/<kind>/<YYYY-MM>/`` once loaded (:func:`archive`), or to
``quarantine/`` with ``<name>.reason.txt`` beside it and a row in ``raw.quarantined_files`` (:func:`quarantine`);
a quarantined file fixed in place is found again for a replay (:func:`replay_file`) and released once loaded
(:func:`release`). A name already taken at the destination by other content gets the content hash as a suffix, so
no file is ever overwritten, and a symbolic link is moved itself, never followed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ingest import ledger
from ingest.reader import read_header
from ingest.schemas import KINDS
from ingest.security import Limits
from ingest.violations import FileRejected
from kernel import permissions
from kernel.errors import LwwError
from kernel.raw_tables import create_all
from kernel.settings import Settings


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


def _inboxes(settings: Settings) -> dict[str, Path]:
    """One folder of the inbox per kind of upstream file, named after it (``inbox/payments``, ``inbox/rights``)."""
    return {kind: settings.inbox / kind for kind in KINDS}


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
    if not target.is_symlink():  # dropped with any mode: personal data, not for other users (kernel.permissions)
        os.chmod(target, permissions.FILE_MODE)
    return target


def archive(settings: Settings, pending: PendingFile, sha: str) -> Path:
    """Move a loaded (or already loaded) file to ``archive/<kind>/<reporting month>/``."""
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


def replay_file(connection, settings: Settings, name: str, limits: Limits) -> PendingFile:
    """The quarantined file ``name`` (a file of ``settings.quarantine``), described for a new load; raises
    :class:`LwwError` naming what is wrong with the name."""
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
    return describe(path, kind, limits)


def release(connection, settings: Settings, name: str) -> None:
    """A replayed file was loaded (or found loaded): its reason file goes, its quarantine rows get ``released_at``."""
    settings.quarantine.joinpath(name + ".reason.txt").unlink(missing_ok=True)
    ledger.mark_released(connection, name)

"""Staging, checking and releasing an extract; the manifest operators read; the audit record.

Layout under ``$LWW_HOME/extracts/``::

    staging/<kind>-<period>.xml        a written file waiting for its control check (with its .json)
    staging/<kind>-<period>.lock       held while a run writes, checks or releases that extract
    out/<recipient cbe>/FO.<app>.…     released files, and their empty GO.<app>.… files, written last
    manifest.jsonl                     one line per released extract: what, when, for whom, its control figures

A released file is never rewritten: a second run for the same period is a new file (sequence + 1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import getpass
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from kernel import codes
from kernel.audit import FIELDS
from kernel.calendar import BRUSSELS, today_brussels
from kernel.durable import fsync_path, sha256_of
from kernel.errors import LwwError
from kernel.settings import Settings
from service.extracts import finances, naming, ssh, xmlout
from service.extracts.control import Comparison, Counter, Figures, InvalidFile, compare, read_back
from service.extracts.source import Refused, Source, opened

KINDS: dict[str, ModuleType] = {"finances": finances, "ssh": ssh}
MANIFEST = "manifest.jsonl"


def kind_module(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise LwwError(f"no extract {kind!r}: the extracts are {' and '.join(KINDS)} (CONTRACT §7)")
    return KINDS[kind]


@dataclass(frozen=True)
class Staged:
    path: Path
    meta: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.meta["kind"]


@dataclass(frozen=True)
class Released:
    path: Path
    go_path: Path
    entry: dict[str, Any]


def staging_path(home: Settings, kind: str, period: str) -> Path:
    return home.extracts / "staging" / f"{kind}-{period}.xml"


@contextmanager
def _exclusive(home: Settings, kind: str, period: str) -> Iterator[None]:
    """One run at a time writes, checks or releases the extract of a period (``lww extract`` and a Dagster run
    may be asked for the same one): the other is refused at once, naming the lock."""
    path = staging_path(home, kind, period).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LwwError(
                f"another run is writing or releasing the {kind} extract of {period} ({path}): wait for it"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def released_entries(home: Settings) -> list[dict[str, Any]]:
    """The manifest, oldest first (a torn last line, from a crash while appending, is left out)."""
    path = home.extracts / MANIFEST
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def last_released(home: Settings, kind: str, period: str) -> Path | None:
    """The last file released for ``kind`` and ``period`` that is still there."""
    for entry in reversed(released_entries(home)):
        if entry.get("kind") == kind and entry.get("period") == period:
            path = home.extracts / entry["path"]
            if path.exists():
                return path
    return None


# -- audit ----------------------------------------------------------------------------------------------------
def audit(home: Settings, record: dict[str, Any]) -> None:
    """One audit record in the service's format (``kernel.audit``), in a file of its own, durable on return:
    the pipeline loads it with the consultations (channel ``EXTRACT``)."""
    full = {name: record.get(name) for name in FIELDS}
    full["record_id"] = str(uuid.uuid4())
    full["logged_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    full["channel"] = "EXTRACT"
    full["http_status"] = 200  # no HTTP: recorded as a business answer, as the service records its statuses
    home.audit.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path, suffix = home.audit / f"audit-{stamp}-{os.getpid()}.jsonl", 1
    while path.exists():  # another extract of this process in the same second: never append to a closed file
        path, suffix = home.audit / f"audit-{stamp}-{os.getpid()}.{suffix}.jsonl", suffix + 1
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        os.write(descriptor, (json.dumps(full, default=str, separators=(",", ":")) + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _audit_record(
    module: ModuleType,
    recipient: tuple[str, str | None],
    period: tuple[dt.date, dt.date],
    snapshot_id: str,
    status: tuple[str, str],
    started: float,
    ticket: str | None = None,
) -> dict[str, Any]:
    """The record of one extract: the recipient (cbe, legal context) as the caller, the period asked for."""
    return {
        "ticket": ticket,
        "ticket_cbss": str(uuid.uuid4()),
        "username": getpass.getuser(),
        "cbe_number": recipient[0],
        "legal_context": recipient[1],
        "operation": module.OPERATION,
        "period_begin": period[0].isoformat(),
        "period_end": period[1].isoformat(),
        "status_value": status[0],
        "status_code": status[1],
        "snapshot_id": snapshot_id,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }


# -- the three steps -------------------------------------------------------------------------------------------
def stage(
    home: Settings,
    kind: str,
    period: str,
    *,
    provisional: bool = False,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Staged:
    """Write the extract of ``period`` from the current snapshot under ``staging/`` (not released)."""
    module = kind_module(kind)
    period = module.parse_period(period)
    started = time.perf_counter()
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    today = today or today_brussels()
    with _exclusive(home, module.KIND, period), opened(home) as source:
        try:
            plan = module.plan(source, period, provisional=provisional, today=today)
        except Refused as refused:
            asked = refused.plan
            recipient = (asked.recipient.cbe_number, asked.recipient.legal_context)
            record = _audit_record(
                module, recipient, (asked.begin, asked.end), source.snapshot_id, codes.NOT_AUTHORIZED, started
            )
            audit(home, record)
            raise
        return _write(home, module, source, plan, now, started)


def _write(home: Settings, module: ModuleType, source: Source, plan, now: dt.datetime, started: float) -> Staged:
    path = staging_path(home, module.KIND, plan.period)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    header = xmlout.Header(
        plan.recipient.cbe_number,
        plan.recipient.name,
        plan.recipient.legal_context,
        plan.begin,
        plan.end,
        plan.reference_date,
        source.snapshot_id,
        now,
    )
    counter = Counter()
    with partial.open("w", encoding="utf-8", buffering=1 << 20) as out:
        xmlout.start(out, module.ROOT, header)
        details = module.write_records(
            out, source, plan, counter, lambda period: last_released(home, module.KIND, period)
        )
        xmlout.control(out, counter.figures())
        xmlout.end(out, module.ROOT)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
    meta = {
        "kind": module.KIND,
        "period": plan.period,
        "period_begin": plan.begin.isoformat(),
        "period_end": plan.end.isoformat(),
        "recipient_cbe": plan.recipient.cbe_number,
        "recipient_name": plan.recipient.name,
        "legal_context": plan.recipient.legal_context,
        "snapshot_id": source.snapshot_id,
        "reference_date": plan.reference_date.isoformat(),
        "created_at": xmlout.timestamp(now),
        "control": counter.figures().as_dict(),
        "staged_seconds": round(time.perf_counter() - started, 3),
        **details,
    }
    done = Staged(path, meta)
    _write_meta(done)
    return done


def _write_meta(staged: Staged) -> None:
    staged.path.with_suffix(".json").write_text(json.dumps(staged.meta, indent=2, sort_keys=True), encoding="utf-8")


def staged(home: Settings, kind: str, period: str) -> Staged:
    """The file staged for ``kind`` and ``period`` (by an earlier step of the same run)."""
    module = kind_module(kind)
    path = staging_path(home, kind, module.parse_period(period))
    if not path.exists() or not path.with_suffix(".json").exists():
        raise LwwError(f"no {kind} extract of {period} is staged in {path.parent}: stage it first")
    return Staged(path, json.loads(path.with_suffix(".json").read_text(encoding="utf-8")))


def verify(home: Settings, staged: Staged) -> Comparison:
    """The staged file's control block and records against the marts of the snapshot it was written from;
    the outcome is kept beside the file (with the file's sha-256): :func:`release` reads it."""
    module = kind_module(staged.kind)
    with _exclusive(home, staged.kind, staged.meta["period"]):
        return _verify(home, module, staged)


def _verify(home: Settings, module: ModuleType, staged: Staged) -> Comparison:
    try:
        block, records = read_back(staged.path, module.RECORD, module.AMOUNT)
        broken = None
    except InvalidFile as invalid:
        block, records, broken = Figures(), Figures(), f"the file breaks the XSD: {invalid}"
    begin = dt.date.fromisoformat(staged.meta["period_begin"])
    end = dt.date.fromisoformat(staged.meta["period_end"])
    with opened(home, staged.meta["snapshot_id"]) as source:
        marts = module.control_figures(source, begin, end)
    comparison = compare(block, records, marts)
    if broken:
        comparison = dataclasses.replace(comparison, passed=False, mismatches=(broken, *comparison.mismatches))
    staged.meta["checked"] = {"passed": comparison.passed, "sha256": sha256_of(staged.path), **comparison.metadata()}
    _write_meta(staged)
    return comparison


def release(home: Settings, staged: Staged) -> Released:
    """Give a checked file its ``FO.`` name (rename), audit it, add it to the manifest, then write its GO file.
    Only a file :func:`verify` passed, unchanged since, is released."""
    with _exclusive(home, staged.kind, staged.meta["period"]):
        return _release(home, staged)


def _release(home: Settings, staged: Staged) -> Released:
    checked = staged.meta.get("checked")
    what = f"the {staged.kind} extract of {staged.meta['period']} is not released"
    if not checked:
        raise LwwError(f"{what}: its control figures were not checked; it stays in {staged.path}")
    if not checked["passed"]:
        raise LwwError(
            f"{what}: its control figures differ from the marts' ({'; '.join(checked['mismatches'])}); "
            f"it stays in {staged.path}"
        )
    digest = sha256_of(staged.path)
    if digest != checked["sha256"]:
        raise LwwError(f"{what}: {staged.path} changed after its control figures were checked; extract it again")
    started = time.perf_counter()
    module = kind_module(staged.kind)
    meta = staged.meta
    folder = home.extracts / "out" / meta["recipient_cbe"]
    folder.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.fromisoformat(meta["created_at"].replace("Z", "+00:00"))
    while True:  # a link never replaces a file: a name another release took meanwhile is skipped
        name = naming.next_output_name(folder, staged.kind, meta["recipient_cbe"], created.astimezone(BRUSSELS).date())
        target = folder / name
        try:
            os.link(staged.path, target)
            break
        except FileExistsError:
            continue
    staged.path.unlink()
    fsync_path(folder)
    period = (dt.date.fromisoformat(meta["period_begin"]), dt.date.fromisoformat(meta["period_end"]))
    recipient = (meta["recipient_cbe"], meta.get("legal_context"))
    status = codes.DATA_FOUND if checked["marts"]["recordCount"] else codes.NO_DATA_FOUND
    audit(home, _audit_record(module, recipient, period, meta["snapshot_id"], status, started, ticket=name))
    entry = {
        **{k: v for k, v in meta.items() if k not in ("control", "checked")},
        "file": name,
        "path": str(target.relative_to(home.extracts)),
        "go_file": naming.go_name(name),
        "sha256": digest,
        "bytes": target.stat().st_size,
        "released_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "control": checked["marts"],
    }
    with (home.extracts / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write(json.dumps(entry, sort_keys=True) + "\n")
        manifest.flush()
        os.fsync(manifest.fileno())
    go = folder / naming.go_name(name)
    tmp = go.with_name(go.name + ".tmp")
    tmp.write_bytes(b"")
    os.replace(tmp, go)
    fsync_path(folder)
    staged.path.with_suffix(".json").unlink(missing_ok=True)
    return Released(target, go, entry)


def produce(
    home: Settings,
    kind: str,
    period: str,
    *,
    provisional: bool = False,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> tuple[Released, Comparison]:
    """Stage, check, release: what ``lww extract`` runs (Dagster runs the same steps as two assets)."""
    done = stage(home, kind, period, provisional=provisional, today=today, now=now)
    comparison = verify(home, done)
    return release(home, done), comparison

"""The batch channel (CONTRACT section 5, after the CBSS LDM protocol): a file of requests in, a file of answers out.

No HTTP: the sender is known from the transport (its drop folder, or ``--institution``), and the whole file is
answered from one snapshot, opened once (its R is the result's ``referenceDate``). Each request goes through
``service.pipeline.answer`` as an online request does (the same checks in the same order, the same answer, one
audit record, channel ``BATCH``, the ticket ``<batchId>#<sequence>``), and is rendered by the SOAP channel of its
service: the response keeps the online answer's ``informationCBSS``, ``status`` and payload, byte for byte.

Durability and release: the answers are appended to a result under the batch store
(``$LWW_HOME/batch/results/<cbe>/<batchId>/``); after each chunk of requests one flush makes its audit records
durable (group commit), and the result is released (made durable, renamed, then linked to its output name under a
temporary name and renamed, its ``GO`` file last) only once every record is. A run killed mid-way leaves a partial
result that is never released; the next run of the file answers it again from the start.

Idempotent on ``batchId``: the store keeps each answered file's content hash; the same file again gets the stored
result (logged as a duplicate, nothing answered twice), another file with the same ``batchId`` is refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from kernel import codes
from kernel.calendar import today_brussels
from kernel.durable import fsync_path
from kernel.errors import LwwError
from kernel.settings import Settings, env_number
from service import batch_file
from service.audit import AuditLog, AuditUnavailable
from service.auth import Caller
from service.batch_file import BatchRequest, Refused
from service.channels import SOAP_CHANNELS
from service.channels.soap import timestamp
from service.consult import Answer
from service.pipeline import Context, Fault, Incoming, Reply, answer
from service.snapshot_store import LoadedSnapshot, SnapshotStore

log = logging.getLogger(__name__)

CHUNK = 10_000  # requests per group commit of the audit log
APPLICATION = "LWCB"  # this project's application code in the Smals file names
INBOUND = re.compile(
    rf"FI\.{APPLICATION}\.(?P<cbe>[0-9]{{10}})\.(?P<day>[0-9]{{8}})\.(?P<seq>[0-9]+)\.(?P<env>[A-Za-z0-9]+)\.1\.1"
)
COUNTS = ("requestCount", "dataFound", "noDataFound", "noResult")  # the synthesis


def batch_home(settings: Settings) -> Path:
    return settings.home / "batch"


def inbox(settings: Settings, cbe: str | None = None) -> Path:
    return batch_home(settings) / "in" / cbe if cbe else batch_home(settings) / "in"


def outbox(settings: Settings, cbe: str) -> Path:
    return batch_home(settings) / "out" / cbe


@dataclass
class Outcome:
    """What became of a file: ``answered`` or ``duplicate`` (the stored result delivered again)."""

    kind: str
    batch_id: str
    output: Path
    go: Path
    requests: int
    synthesis: dict[str, int]
    snapshot_id: str
    seconds: float = 0.0


@dataclass(slots=True)
class _BatchIncoming(Incoming):
    request: BatchRequest | None = None


class BatchChannel:
    """``service.pipeline.Channel`` for the requests of a file: parsed already, rendered by their SOAP channel."""

    name = "BATCH"
    media_types: tuple[str, ...] = ()  # not over HTTP: no Content-Type to check
    invalid_status = 200  # never used: a file whose requests the schemas refuse is refused whole beforehand

    def operation(self, incoming: _BatchIncoming) -> str | None:
        return incoming.request.soap.operation

    def parse(self, incoming: _BatchIncoming) -> BatchRequest:
        return incoming.request

    def render(self, parsed: BatchRequest, result: Answer, ticket_cbss: str, received: dt.datetime) -> Reply:
        """The online answer, rendered by the SOAP channel of the request's service, from ``informationCBSS``
        on, without the echoes and the envelope (which a file's response does not carry)."""
        online = SOAP_CHANNELS[parsed.spec.key].render(parsed.soap, result, ticket_cbss, received).content
        information = online[online.index(b"<informationCBSS>") : online.index(b"</informationCBSS>") + 18]
        body = online[online.index(b"<status>") : online.rindex(b"</intf:")]
        return Reply(200, information + body, "application/xml")

    def fault(self, fault: Fault, ticket_cbss: str, received: dt.datetime, parsed) -> Reply:
        """A request the service failed on (``MSG00003``): a ``NO_RESULT`` response naming the ticket; the other
        requests go on."""
        content = (
            f"<informationCBSS><ticketCBSS>{ticket_cbss}</ticketCBSS>"
            f"<timestampReceive>{timestamp(received)}</timestampReceive>"
            f"<timestampReply>{timestamp(dt.datetime.now(dt.UTC))}</timestampReply></informationCBSS>"
            f"<status><value>NO_RESULT</value><code>{fault.code}</code>"
            f"<description>{escape(fault.diagnostic[:256])}</description></status>"
        )
        return Reply(fault.http_status, content.encode("utf-8"), "application/xml")


# -- the store of answered files ----------------------------------------------------------------------------
def _store(settings: Settings, cbe: str, batch_id: str) -> Path:
    return batch_home(settings) / "results" / cbe / batch_id


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One run at a time for a (sender, batchId): a second one waits, then finds the first one's result."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ledger(settings: Settings, **event) -> None:
    """One line per file handled (answered, duplicate, refused): what operators read to follow the batches."""
    path = batch_home(settings) / "ledger.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    event = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **event}
    with open(path, "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(event, default=str) + "\n")


def go_path(output: Path) -> Path:
    """``GO.`` + the result's name without ``FO.``; ``<OUT>.GO`` when OUT does not follow the convention."""
    if output.name.startswith("FO."):
        return output.with_name("GO." + output.name[3:])
    return output.with_name(output.name + ".GO")


def _deliver(result: Path, output: Path) -> Path:
    """``output`` appears complete (temporary name, then rename), and its empty ``GO`` file after it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    go = go_path(output)
    go.unlink(missing_ok=True)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        os.link(result, temporary)  # the stored result itself: a million answers are not copied
    except OSError:
        shutil.copyfile(result, temporary)
    os.replace(temporary, output)
    fsync_path(output.parent)
    go_temporary = go.with_name(f".{go.name}.{os.getpid()}.tmp")
    go_temporary.write_bytes(b"")
    os.replace(go_temporary, go)
    fsync_path(go.parent)
    return go


# -- answering a file ---------------------------------------------------------------------------------------
def _caller(snapshot: LoadedSnapshot, cbe: str) -> Caller:
    """The sender, known from the transport: its first username in the snapshot (for the audit record)."""
    username = next((name for name, (owner, _) in sorted(snapshot.credentials.items()) if owner == cbe), None)
    return Caller(username or f"batch:{cbe}", cbe)


def processes() -> int:
    """Processes answering a file together (``LWW_BATCH_PROCESSES``, default one per core, at most 4): the
    answers are Python work under the GIL, one core per process; the snapshot's indexes are shared memory maps."""
    return env_number("LWW_BATCH_PROCESSES", max(1, min(4, os.cpu_count() or 1)), minimum=1)


def _answer_chunks(
    path: Path,
    header: batch_file.Header,
    snapshot: LoadedSnapshot,
    institution: str,
    audit: AuditLog,
    today: Callable[[], dt.date],
    chunk: int,
    share: tuple[int, int],
    parts: Path,
) -> Iterator[int]:
    """Answer this process's chunks of the file, each into ``parts/<n>.xml`` with its counts in ``<n>.json``,
    written (renamed into place) once the chunk's audit records are durable; yields each chunk's number."""
    channel = BatchChannel()
    caller = _caller(snapshot, institution)
    context = Context(
        snapshot=lambda: snapshot, caller=lambda _incoming, _loaded: caller, today=today, audit=audit, body_limit=0
    )
    found = {"DATA_FOUND": "dataFound", "NO_DATA_FOUND": "noDataFound"}
    for number, requests in batch_file.requests(path, header, chunk, share):
        counts = dict.fromkeys(COUNTS, 0)
        last = None
        temporary = parts / f"{number}.xml.tmp"
        with open(temporary, "wb", buffering=1 << 20) as out:
            writer = batch_file.ResultWriter(out)
            for request in requests:
                pending = answer(channel, _BatchIncoming(b"", request=request), context)
                if pending.sequence is None:  # the record could not be written: no answer is given without it
                    raise LwwError("the audit log cannot be written: the batch is stopped, no result is released")
                last = pending.sequence
                writer.response(request.sequence, pending.reply.content)
                counts[found.get(pending.record.get("status_value"), "noResult")] += 1
            counts["requestCount"] = len(requests)
        if last is not None:
            _durable(audit, last)  # the chunk's records, in one flush, before its answers are released
        os.replace(temporary, parts / f"{number}.xml")
        (parts / f"{number}.json.tmp").write_text(json.dumps(counts))
        os.replace(parts / f"{number}.json.tmp", parts / f"{number}.json")
        yield number


def _worker(audit_folder: Path, share: dict) -> None:
    """One of the processes answering a file (forked: the snapshot's maps are shared), with its own audit file;
    its failure is written where the first process looks for the chunks."""
    parts = share["parts"]
    with contextlib.suppress(Exception):  # ends with the process that started it, even if that one is killed
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    audit = AuditLog(audit_folder)
    try:
        for _ in _answer_chunks(audit=audit, **share):
            pass
    except BaseException as error:  # reported to the parent, which stops the batch
        (parts / "failed.txt").write_text(f"{type(error).__name__}: {error}")
        raise
    finally:
        audit.close()


def _answer_all(
    path: Path,
    header: batch_file.Header,
    snapshot: LoadedSnapshot,
    institution: str,
    settings: Settings,
    today: Callable[[], dt.date],
    partial: Path,
    chunk: int,
    chunks: int,
    workers: int,
) -> dict[str, int]:
    """The result of the file into ``partial``: chunks answered by ``workers`` processes (this one among them),
    appended in input order as they are released; made durable at the end."""
    parts = partial.with_name(f"parts-{os.getpid()}")
    for old in partial.parent.glob("parts-*"):  # a killed run's: never released, answered again now
        shutil.rmtree(old, ignore_errors=True)
    parts.mkdir()
    workers = max(1, min(workers, chunks))
    common = {
        "path": path,
        "header": header,
        "snapshot": snapshot,
        "institution": institution,
        "today": today,
        "chunk": chunk,
        "parts": parts,
    }  # what every process answering the file shares (each its own ``share`` of the chunks and audit file)
    started = []
    if workers > 1:
        import multiprocessing

        forking = multiprocessing.get_context("fork")
        for k in range(1, workers):
            process = forking.Process(
                target=_worker, args=(settings.audit, dict(common, share=(k, workers))), daemon=True
            )
            process.start()
            started.append(process)
    audit = AuditLog(settings.audit)
    counts = dict.fromkeys(COUNTS, 0)
    try:
        own = _answer_chunks(audit=audit, share=(0, workers), **common)
        with open(partial, "wb", buffering=0) as out:  # unbuffered: the chunks are appended by the kernel
            batch_file.ResultWriter(out).head(header, snapshot.reference_date)
            for number in range(chunks):
                if number % workers == 0:
                    next(own)
                else:
                    _wait_for(parts, number, started)
                for name, value in json.loads((parts / f"{number}.json").read_text()).items():
                    counts[name] += value
                _append(parts / f"{number}.xml", out)
                (parts / f"{number}.xml").unlink()
            batch_file.ResultWriter(out).tail(*(counts[name] for name in COUNTS))
            out.flush()
            os.fsync(out.fileno())
    finally:
        audit.close()
        for process in started:
            if process.is_alive():
                process.kill()
            process.join()
        shutil.rmtree(parts, ignore_errors=True)
    return counts


def _durable(audit: AuditLog, sequence: int) -> None:
    try:
        audit.wait_durable(sequence)
    except AuditUnavailable as error:
        raise LwwError(f"{error}: the batch is stopped, no result is released") from None


def _append(part: Path, out) -> None:
    """``part`` at the end of ``out`` (unbuffered), copied in the kernel: a million answers are gigabytes."""
    with open(part, "rb") as source:
        size, done = os.fstat(source.fileno()).st_size, 0
        with contextlib.suppress(OSError):  # a file system without it: copied through this process below
            while done < size and (copied := os.copy_file_range(source.fileno(), out.fileno(), size - done)):
                done += copied
        source.seek(done)
        shutil.copyfileobj(source, out, 1 << 20)


def _wait_for(parts: Path, number: int, workers: list) -> None:
    """Until another process has released chunk ``number``; a failed process stops the batch."""
    while not (parts / f"{number}.json").exists():
        failed = parts / "failed.txt"
        if failed.exists():
            raise LwwError(f"{failed.read_text()}: the batch is stopped, no result is released")
        if not all(process.is_alive() or process.exitcode == 0 for process in workers):
            raise LwwError("a process answering the batch stopped: the batch is stopped, no result is released")
        time.sleep(0.02)


def answer_file(
    settings: Settings,
    path: Path,
    output: Path,
    institution: str,
    *,
    today: Callable[[], dt.date] = today_brussels,
    snapshot: LoadedSnapshot | None = None,
    chunk: int | None = None,
    workers: int | None = None,
) -> Outcome:
    """Answer the batch file ``path`` sent by ``institution`` into ``output`` (and its ``GO`` file).

    Raises :class:`service.batch_file.Refused` when the file is refused whole (nothing answered, nothing written),
    :class:`LwwError` when it cannot be answered now (no published snapshot, audit log unavailable)."""
    started = time.perf_counter()
    path, output = Path(path), Path(output)
    if not path.is_file():
        raise LwwError(f"{path}: no such file")
    if not re.fullmatch(r"[0-9]{10}", institution or ""):
        raise LwwError(f"--institution {institution!r}: a CBE number of 10 digits is expected")
    try:
        header = batch_file.read_header(path)
        digest = batch_file.content_hash(path)
        if not re.fullmatch(r"[A-Za-z0-9._\-]{1,20}", header.batch_id):
            batch_file.check(path)  # the schema names what is wrong with the batchId (and the line)
        store = _store(settings, institution, header.batch_id)
        with _locked(store):
            done = store / "done.json"
            if done.exists():
                stored = json.loads(done.read_text())
                if stored["sha256"] != digest:
                    raise Refused(
                        f"batchId {header.batch_id} was already answered on {stored['answered_at']} for another "
                        "file (other content): a new file needs a new batchId"
                    )
                go = _deliver(store / "result.xml", output)
                _ledger(settings, event="duplicate", batch_id=header.batch_id, cbe=institution, file=str(path))
                log.info("batch %s of %s: a duplicate, the stored result delivered again", header.batch_id, institution)
                return Outcome(
                    "duplicate",
                    header.batch_id,
                    output,
                    go,
                    stored["requests"],
                    stored["synthesis"],
                    stored["snapshot_id"],
                    time.perf_counter() - started,
                )
            checked = batch_file.check(path)
            if header.cbe_number != institution:
                raise Refused(
                    f"the file's cbeNumber {header.cbe_number} is not its sender's ({institution})",
                    codes.CBE_MISMATCH[1],
                )
            if snapshot is None:
                snapshot = SnapshotStore(settings.published, settings.service_cache / "indexes").get()
            if snapshot is None:
                raise LwwError("no published data yet: retry after the first refresh (MSG00001)")
            partial = store / "result.xml.partial"
            chunk = chunk or env_number("LWW_BATCH_CHUNK", CHUNK, minimum=1)
            chunks = -(-checked.requests // chunk)
            workers = processes() if workers is None else workers
            counts = _answer_all(path, header, snapshot, institution, settings, today, partial, chunk, chunks, workers)
            os.replace(partial, store / "result.xml")
            record = {
                "sha256": digest,
                "requests": checked.requests,
                "synthesis": counts,
                "snapshot_id": snapshot.refresh_id,
                "answered_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "file": str(path),
            }
            (store / "done.json.tmp").write_text(json.dumps(record))
            os.replace(store / "done.json.tmp", done)
            fsync_path(store)
            go = _deliver(store / "result.xml", output)
    except Refused as refused:
        _ledger(settings, event="refused", cbe=institution, file=str(path), reason=str(refused))
        raise
    seconds = time.perf_counter() - started
    _ledger(
        settings,
        event="answered",
        batch_id=header.batch_id,
        cbe=institution,
        file=str(path),
        requests=checked.requests,
        synthesis=counts,
        snapshot_id=snapshot.refresh_id,
        seconds=round(seconds, 3),
    )
    return Outcome("answered", header.batch_id, output, go, checked.requests, counts, snapshot.refresh_id, seconds)


# -- the drop folder -----------------------------------------------------------------------------------------
def reason_path(path: Path) -> Path:
    return path.with_name(path.name + ".reason.txt")


def pending_files(settings: Settings) -> list[tuple[str, Path]]:
    """(sender, file) of the drop folder not yet handled: ``batch/in/<cbe>/<name>``, without a ``.reason.txt``,
    not hidden nor temporary (a sender writes under another name, then renames)."""
    found = []
    root = inbox(settings)
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            name = path.name
            if not path.is_file() or name.startswith(".") or name.endswith((".reason.txt", ".tmp", ".part")):
                continue
            if reason_path(path).exists():
                continue
            found.append((folder.name, path))
    return found


def output_name(name: str) -> str:
    return "FO." + name[3:]


def handle_dropped(settings: Settings, sender: str, path: Path, **options) -> Outcome | None:
    """Answer one dropped file into ``batch/out/<sender>/FO.…`` and archive it; a refusal writes
    ``<name>.reason.txt`` beside it (and returns None, as for a file another run handled meanwhile)."""
    if not path.is_file():
        return None
    try:
        match = INBOUND.fullmatch(path.name)
        if match is None:
            named = Refused(f"the file name {path.name} does not follow FI.LWCB.<cbe>.<YYYYMMDD>.<seq>.<env>.1.1")
        elif match["cbe"] != sender:
            named = Refused(f"the file name names {match['cbe']}, dropped by {sender}", codes.CBE_MISMATCH[1])
        else:
            named = None
        if named is not None:
            _ledger(settings, event="refused", cbe=sender, file=str(path), reason=str(named))
            raise named
        outcome = answer_file(settings, path, outbox(settings, sender) / output_name(path.name), sender, **options)
    except Refused as refused:
        reason_path(path).write_text(f"{path.name} refused: {refused}\n", encoding="utf-8")
        log.warning("%s refused: %s", path, refused)
        return None
    archive = batch_home(settings) / "archive" / sender
    archive.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):  # archived meanwhile by another run of the same file
        os.replace(path, archive / path.name)
    return outcome

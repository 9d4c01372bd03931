"""Reading one upstream file: the one door to the two parsers.

:meth:`Reader.read` gives a file's checked batches (in a Parquet spool) or a verdict with its reason, and hides which
parser answered:

1. the fast path of :mod:`ingest.native` reads a file first (unless ``LWW_INGEST_NATIVE=0``) and hashes what it
   reads; when it cannot vouch for the file (:class:`ingest.native.Abandoned`, for whatever reason) or the bytes are
   not those hashed before, the detailed parser of :mod:`ingest.parser` reads it again and decides;
2. the batches go to a Parquet spool as they come (flat memory), and the file's SSINs are checked on the way
   against the reader's cache of valid ones (:class:`ingest.rules.ValidSsins`);
3. given the business rules (which need the warehouse, so the loader passes them in), a file the fast path read and
   a rule refuses is read again by the detailed parser before the verdict is given: the fast path notes no XML
   line numbers, and the detailed parser's verdict is the one of record.

Pure apart from the rules it is given: reads the file, writes spools, never touches the warehouse, never moves a
file. The parse-ahead pool (:mod:`ingest.spool`) runs steps 1 and 2 in other processes, and the loader finishes with
step 3 in its turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from ingest import ledger
from ingest.native import Abandoned, NativeRead
from ingest.native import enabled as fast_path_enabled
from ingest.parser import Header, UpstreamFile, read_header
from ingest.rules import SsinScan, ValidSsins
from ingest.schemas import KINDS
from ingest.security import Limits
from ingest.violations import FileRejected
from kernel.raw_tables import Table

Progress = Callable[[str, int], None]  # (file name, rows read so far in that file)

__all__ = ["Header", "Progress", "Reader", "Reading", "Rules", "read_header", "spool_file"]


class Pending(Protocol):
    """What the reader needs to know of a file (:class:`ingest.inbox.PendingFile` is one)."""

    path: Path
    kind: str
    name: str


@dataclass(frozen=True)
class Reading:
    """One file read: its batches in a Parquet spool, or the verdict that refuses it (``spool`` None then)."""

    sha256: str
    rows: int
    spool: Path | None
    verdict: FileRejected | None = None
    ssins: SsinScan | None = None
    native: bool = False  # read by the fast path (ingest.native): no XML line numbers in the spool
    table: Table | None = None  # the raw table the batches are rows of

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.unlink(missing_ok=True)


Rules = Callable[[Reading], FileRejected | None]  # the business rules over a reading's batches: the refusal, or None


class Reader:
    """Reads the files of one run; owns what the reading of one file leaves for the next (the valid SSINs)."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.ssins = ValidSsins()

    def read(
        self,
        pending: Pending,
        into: Path,
        *,
        first: Reading | None = None,
        rules: Rules | None = None,
        progress: Progress | None = None,
    ) -> Reading:
        """``pending``'s batches in the spool ``into``, or the verdict that refuses it. Never raises
        :class:`FileRejected`.

        ``first``: the file's reading done ahead (by :mod:`ingest.spool`'s pool); ``progress`` is then called once
        with its row count. ``rules``: judge the batches (the loader's business rules); a refusal of a file the
        fast path read is checked again on the detailed parser's reading, whose reason names the XML lines.
        """
        if first is None:
            reading = self._reading(pending, into, None, progress)
        else:
            reading = first
            if progress is not None and reading.verdict is None:
                progress(pending.name, reading.rows)
        if reading.verdict is not None or rules is None:
            return reading
        broken = rules(reading)
        if broken is not None and reading.native:
            reading.discard()
            again = into.with_name(f"{into.stem}.detailed{into.suffix}")  # never a spool a view may still name
            reading = self._reading(pending, again, reading.sha256, progress, native=False)
            broken = None if reading.verdict is not None else rules(reading)
        if broken is None:
            return reading
        reading.discard()
        return replace(reading, spool=None, verdict=broken)

    def _reading(
        self, pending: Pending, into: Path, sha: str | None, progress: Progress | None, native: bool | None = None
    ) -> Reading:
        try:
            return spool_file(pending, self.limits, into, sha, progress, native, self.ssins)
        except FileRejected as verdict:
            return Reading(sha or ledger.sha256_of(pending.path), 0, None, verdict)


def spool_file(
    pending: Pending,
    limits: Limits,
    spool: Path,
    sha: str | None = None,
    progress: Progress | None = None,
    native: bool | None = None,
    valid: ValidSsins | None = None,
) -> Reading:
    """One reading of a file into a Parquet spool, written batch by batch, its SSINs checked on the way.

    The fast path (unless ``native`` is False or ``LWW_INGEST_NATIVE=0``) reads it first and hashes what it reads;
    when it abandons, the detailed parser reads the file again and decides. ``sha``: the file's sha-256 if already
    known (a fast read of other bytes is then abandoned). ``valid``: the reader's cache of valid SSINs (a fresh one
    if None). Raises :class:`FileRejected`; the partial spool is removed then.
    """
    valid = valid or ValidSsins()
    upstream = UpstreamFile.open(pending.path, limits, expected_kind=pending.kind)
    if native is None:
        native = fast_path_enabled()
    if native:
        reading = NativeRead(upstream, upstream.batch_rows)
        try:
            spooled = _write(pending, upstream, reading.batches(), spool, progress, valid)
        except Abandoned:
            pass
        else:
            if sha is None or reading.sha256 == sha:
                return replace(spooled, sha256=reading.sha256, native=True)
            spooled.discard()  # the file changed since it was hashed: let the detailed parser read it
        upstream = UpstreamFile.open(pending.path, limits, expected_kind=pending.kind)
    sha = sha or ledger.sha256_of(pending.path)
    return replace(_write(pending, upstream, upstream.batches(), spool, progress, valid), sha256=sha)


def _write(
    pending: Pending,
    upstream: UpstreamFile,
    batches: Iterable[pa.RecordBatch],
    spool: Path,
    progress: Progress | None,
    valid: ValidSsins,
) -> Reading:
    ssins = SsinScan(upstream.kind.name, valid)
    rows = 0
    try:
        # a spool is read once, whole, a moment later: no compression, no dictionaries, no statistics (a third of
        # the writing time, reading unchanged, 3 x larger on disk: bench/README.md)
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
    return Reading("", rows, spool, ssins=ssins, table=KINDS[upstream.kind.name].table)

"""Ingest: the upstream XSDs, the streaming parsers (XML -> Arrow, pure) and the loaders into ``raw.*``.

One file goes down these rooms once: :mod:`ingest.inbox` (what waits; archive, quarantine, replay), the
:mod:`ingest.loader` (ledger check and the one transaction of a file), :mod:`ingest.spool` (reading files ahead in
a pool of processes), :mod:`ingest.reader` (the one ``read``: the fast path of :mod:`ingest.native` for good files,
the detailed parser of :mod:`ingest.parser` for the others, which names the XML lines), then :mod:`ingest.rules`
(business rules in the file's transaction) and :mod:`ingest.ledger`.

The Python API the pipeline calls (each takes a read-write DuckDB connection to ``settings.warehouse``):

- :func:`pending_files` — what waits in the inbox, from each root start tag only;
- :func:`ingest_files` / :func:`ingest_inbox` — load files (one transaction each, in (createdAt, fileId) order;
  parsed ahead by a pool of ``LWW_INGEST_WORKERS`` processes), archive or quarantine them;
- :func:`replay` — load a quarantined file once fixed;
- :func:`load_reference` — ``reference/*.csv`` -> ``raw.ref_*``;
- :func:`load_audit` — the service's audit log -> ``raw.audit_log``.
"""

from ingest.audit_log import AuditReport, load_audit
from ingest.loader import FileOutcome, IngestReport, PendingFile, ingest_files, ingest_inbox, pending_files, replay
from ingest.parser import Header, UpstreamFile, read_header
from ingest.reference import ReferenceReport, load_reference
from ingest.security import Limits
from ingest.violations import FileRejected, Violation

__all__ = [
    "AuditReport",
    "FileOutcome",
    "FileRejected",
    "Header",
    "IngestReport",
    "Limits",
    "PendingFile",
    "ReferenceReport",
    "UpstreamFile",
    "Violation",
    "ingest_files",
    "ingest_inbox",
    "load_audit",
    "load_reference",
    "pending_files",
    "read_header",
    "replay",
]

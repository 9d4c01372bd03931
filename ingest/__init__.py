"""Ingest: the upstream XSDs, the streaming parsers (XML -> Arrow, pure: the fast path of :mod:`ingest.native`
for good files, the detailed one of :mod:`ingest.parser` for the others) and the loaders into ``raw.*``.

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

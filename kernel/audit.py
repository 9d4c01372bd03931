"""The audit record of a consultation: written by the service (JSON lines under $LWW_HOME/audit/),
loaded by the pipeline into ``raw.audit_log`` (see kernel.raw_tables.AUDIT_LOG for the columns).

Files are named ``audit-YYYYMMDD-HHMMSS-<pid>.jsonl``; a file is only appended to, and is closed (rotated) by
size or day. The loader reads complete lines only and skips record ids already loaded, so loading is
idempotent even while the service keeps appending.
"""

from __future__ import annotations

from kernel.raw_tables import AUDIT_LOG

FIELDS = tuple(AUDIT_LOG.column_names)
FILE_GLOB = "audit-*.jsonl"

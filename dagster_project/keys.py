"""The names the pipeline's parts agree on: asset keys, the warehouse pool and the retry policy.

Assets, checks, the dbt translator and the runner import them from here, so a key is spelled once and a
renamed asset cannot leave a check or a dependency pointing at nothing. The asset graph they make is pinned by
tests/dagster_project/definitions_snapshot.json."""

from __future__ import annotations

import dagster as dg

from dagster_project.publication import DELTA
from kernel import published

# One writer at a time: every step that touches the warehouse claims a slot of this pool, and the instance
# the runner prepares allows one (DuckDB refuses a second read-write process instead of waiting).
POOL = "warehouse"
POOL_LIMIT = 1

# For the errors failures.step_errors lets through (not bad input, SQL or the file system, which another try
# would meet again): a step tries twice more, backing off.
RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL)

# ingest: the raw tables, keyed [raw, <what the asset loads>]
REFERENCE = dg.AssetKey(["raw", "reference"])
PAYMENT_LINES = dg.AssetKey(["raw", "payment_lines"])
RIGHT_EVENTS = dg.AssetKey(["raw", "right_events"])
INGEST_LEDGER = dg.AssetKey(["raw", "ingest_ledger"])
AUDIT_LOG = dg.AssetKey(["raw", "audit_log"])

# Which ingest asset writes each raw table the dbt sources read (the ref_* tables all come from REFERENCE).
SOURCE_ASSETS = {
    "payment_lines": PAYMENT_LINES,
    "right_events": RIGHT_EVENTS,
    "loaded_files": INGEST_LEDGER,
    "quarantined_files": INGEST_LEDGER,
    "audit_log": AUDIT_LOG,
}


def source_key(table: str) -> dg.AssetKey:
    """The asset that writes the raw table a dbt source reads."""
    return REFERENCE if table.startswith("ref_") else SOURCE_ASSETS.get(table, dg.AssetKey(["raw", table]))


def model_key(folder: str, name: str) -> dg.AssetKey:
    """A dbt model's key: ``[folder, model]`` (``[marts, fct_rights]``)."""
    return dg.AssetKey([folder, name])


def mart_key(source: str) -> dg.AssetKey:
    """``marts.fct_x`` -> the dbt asset key ``[marts, fct_x]``."""
    return dg.AssetKey(source.split("."))


# dbt: the marts the checks watch, those published, and the delta publication reads
MONTHLY_AMOUNTS = mart_key("marts.fct_monthly_amounts")
OPEN_REJECTIONS = mart_key("marts.dq_open_rejections")
MART_KEYS = sorted({mart_key(t.source) for t in published.TABLES}, key=lambda k: k.to_user_string())
DELTA_KEY = mart_key(DELTA.removeprefix("wh."))

# publication
SNAPSHOT = dg.AssetKey(["published", "snapshot"])

# the periodic extracts: each written under staging/ and checked (a blocking check), then released
FINANCES_STAGED = dg.AssetKey(["extracts", "finances_staged"])
FINANCES_EXTRACT = dg.AssetKey(["extracts", "finances"])
SSH_STAGED = dg.AssetKey(["extracts", "ssh_staged"])
SSH_EXTRACT = dg.AssetKey(["extracts", "ssh"])

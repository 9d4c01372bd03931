"""Ingest assets: reference data, the two upstream feeds (monthly partitions by arrival), the audit log.

They call the plain Python API of ``ingest``; all the rules (schema, business rules, quarantine, ledger) live
there. These assets add what orchestration owns: which reporting months a run covers, the lock, metadata.
"""

import datetime as dt
import hashlib
from pathlib import Path

import dagster as dg

from dagster_project.failures import step_errors
from dagster_project.keys import AUDIT_LOG, INGEST_LEDGER, PAYMENT_LINES, POOL, REFERENCE, RETRY, RIGHT_EVENTS
from dagster_project.partitions import MONTHLY
from dagster_project.resources import Warehouse
from kernel.errors import LwwError


@dg.asset(
    key=REFERENCE,
    group_name="ingest",
    kinds={"duckdb", "csv"},
    pool=POOL,
    retry_policy=RETRY,
    description="Reference CSVs (CPAS, institutions, authorisations, integrations, subscriptions, users) "
    "loaded whole into raw.ref_*; published with every snapshot so all readers see one state.",
)
def reference_data(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    import ingest

    with step_errors():
        home = warehouse.settings
        fingerprint = reference_fingerprint(home.reference)
        if fingerprint == _last_fingerprint(context) and _reference_loaded(warehouse):
            # A million repertory rows validated and loaded again would cost most of a monthly refresh for nothing.
            context.log.info("reference CSVs unchanged since their last load: kept as they are")
            return dg.MaterializeResult(metadata={"sha256": fingerprint, "reloaded": False})
        with warehouse.writer() as connection:
            report = ingest.load_reference(connection, home)
    context.log.info(f"reference data loaded: {report.loaded}; absent (kept as they were): {report.missing}")
    return dg.MaterializeResult(
        metadata={
            **{f"rows_{name}": n for name, n in report.loaded.items()},
            "files_absent": len(report.missing),
            "sha256": fingerprint,
            "reloaded": True,
        }
    )


def reference_fingerprint(folder: Path) -> str:
    """One hash over the names and bytes of the reference CSVs."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _last_fingerprint(context: dg.AssetExecutionContext) -> str | None:
    return last_reference_fingerprint(context.instance)


def last_reference_fingerprint(instance: dg.DagsterInstance) -> str | None:
    """The :func:`reference_fingerprint` of the reference CSVs as the last load saw them (None before any)."""
    event = instance.get_latest_materialization_event(REFERENCE)
    materialization = event.asset_materialization if event else None
    value = materialization.metadata.get("sha256") if materialization else None
    return value.value if value is not None else None


def _reference_loaded(warehouse: Warehouse) -> bool:
    with warehouse.writer() as connection:
        return connection.execute("SELECT count(*) FROM raw.ref_pcsa").fetchone()[0] > 0


def _months_label(months: set[dt.date]) -> str:
    first, last = min(months), max(months)
    return f"{first:%Y-%m}" if first == last else f"{first:%Y-%m}..{last:%Y-%m}"


def _months_of(context: dg.AssetExecutionContext) -> set[dt.date]:
    window = context.partition_time_window
    months, month = set(), window.start.date()
    while month < window.end.date():
        months.add(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PAYMENT_LINES,
            deps=[REFERENCE],
            description="Reimbursement lines (accepted, rejected, re-introduced, corrected) of SPP IS.",
            kinds={"duckdb", "xml"},
        ),
        dg.AssetSpec(
            RIGHT_EVENTS,
            deps=[REFERENCE],
            description="Right events (CREATE, MODIFY, CANCEL).",
            kinds={"duckdb", "xml"},
        ),
        dg.AssetSpec(
            INGEST_LEDGER,
            deps=[REFERENCE],
            description="Ledger of loaded and quarantined upstream files.",
            kinds={"duckdb"},
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "no_file_quarantined",
            asset=INGEST_LEDGER,
            description="Warns when a file of this run was quarantined (its reason file says why).",
        )
    ],
    partitions_def=MONTHLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="ingest",
    pool=POOL,
    retry_policy=RETRY,
    can_subset=False,
)
def upstream_files(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Load the inbox files whose reporting month is in this run's partitions, each file all or nothing."""
    import ingest

    with step_errors():
        home = warehouse.settings
        months = _months_of(context)
        # A file whose header cannot be read has no month: every run takes it, so it is quarantined at once.
        files = [f for f in ingest.pending_files(home) if f.reporting_month in months or f.reporting_month is None]
        if files and not _reference_loaded(warehouse):
            # a month materialized alone (the UI, a backfill) before any reference load: every line would be
            # quarantined for an unknown CPAS
            raise LwwError(
                f"no reference data loaded yet: materialize {REFERENCE.to_user_string()} first (or run lww "
                f"refresh); the {len(files)} file(s) of {_months_label(months)} stay in the inbox"
            )
        with warehouse.writer() as connection:
            report = ingest.ingest_files(connection, home, files)
    quarantined = report.quarantined
    context.log.info(report.summary())
    common = {
        "files_loaded": len(report.loaded),
        "files_skipped": len(report.skipped),
        "files_quarantined": len(quarantined),
        "seconds": round(report.seconds, 3),
    }
    rows = {kind: sum(o.rows for o in report.loaded if o.kind == kind) for kind in ("payments", "rights")}
    yield dg.MaterializeResult(asset_key=PAYMENT_LINES, metadata={**common, "lines": rows["payments"]})
    yield dg.MaterializeResult(asset_key=RIGHT_EVENTS, metadata={**common, "events": rows["rights"]})
    yield dg.MaterializeResult(asset_key=INGEST_LEDGER, metadata=common)
    yield dg.AssetCheckResult(
        asset_key=INGEST_LEDGER,
        check_name="no_file_quarantined",
        passed=not quarantined,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "threshold": 0,
            "observed": len(quarantined),
            "files": dg.MetadataValue.md("\n".join(f"- {q.name}: {q.reason}" for q in quarantined) or "none"),
        },
    )


@dg.asset(
    key=AUDIT_LOG,
    group_name="ingest",
    kinds={"duckdb", "jsonl"},
    pool=POOL,
    retry_policy=RETRY,
    description="The consultation service's audit log (append-only JSON lines), loaded idempotently.",
)
def audit_log(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    import ingest

    with step_errors(), warehouse.writer() as connection:
        report = ingest.load_audit(connection, warehouse.settings)
    return dg.MaterializeResult(
        metadata={"files": report.files, "records_read": report.read, "records_added": report.inserted}
    )

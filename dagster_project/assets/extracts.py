"""The periodic extracts (CONTRACT §7) as assets, partitioned by the period they cover: per extract, a staged
file and its blocking control check, then the released file. They read the published snapshot (never the
warehouse), so they take no slot of the warehouse pool and run beside a refresh."""

import dagster as dg

from dagster_project.failures import step_errors
from dagster_project.keys import FINANCES_EXTRACT, FINANCES_STAGED, SNAPSHOT, SSH_EXTRACT, SSH_STAGED
from dagster_project.partitions import STATUS_MONTHS, TAX_YEARS
from dagster_project.resources import Warehouse
from service.extracts import delivery

GROUP = "extracts"
CONTROL_CHECK = "control_totals_match"
# "true": the finances extract of a year not all FINAL yet (lww extract finances --provisional)
PROVISIONAL_TAG = "lww/extract_provisional"


def period_of(kind: str, partition_key: str) -> str:
    """The extract's period from its partition key: ``2025`` (tax year), ``2026-02-01`` -> ``2026-02`` (month)."""
    return partition_key if kind == "finances" else partition_key[:7]


def _extract_assets(kind: str, staged_key: dg.AssetKey, released_key: dg.AssetKey, partitions, what: str):
    @dg.asset(
        key=staged_key,
        deps=[SNAPSHOT],
        partitions_def=partitions,
        group_name=GROUP,
        kinds={"xml"},
        check_specs=[
            dg.AssetCheckSpec(
                CONTROL_CHECK,
                asset=staged_key,
                blocking=True,
                description="The file's control block and its records equal the marts' own figures (recordCount, "
                "distinctSsinCount, totalAmount per allowance type): otherwise the file is not released.",
            )
        ],
        description=f"{what}, written from the current published snapshot under extracts/staging/ (not released).",
    )
    def staged(context: dg.AssetExecutionContext, warehouse: Warehouse):
        home = warehouse.settings
        provisional = context.run.tags.get(PROVISIONAL_TAG) == "true"
        with step_errors():
            done = delivery.stage(home, kind, period_of(kind, context.partition_key), provisional=provisional)
            comparison = delivery.verify(home, done)
        figures = comparison.in_marts
        yield dg.MaterializeResult(
            metadata={
                "snapshot_id": done.meta["snapshot_id"],
                "path": dg.MetadataValue.path(str(done.path)),
                "record_count": comparison.in_block.record_count,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=CONTROL_CHECK,
                    passed=comparison.passed,
                    metadata={
                        "marts_record_count": figures.record_count,
                        "marts_distinct_ssin_count": figures.distinct_ssin_count,
                        "marts_total_amount": dg.MetadataValue.json(figures.as_dict()["totalAmount"]),
                        "file": dg.MetadataValue.json(comparison.in_block.as_dict()),
                        "mismatches": "; ".join(comparison.mismatches) or "none",
                    },
                )
            ],
        )

    @dg.asset(
        key=released_key,
        deps=[staged_key],
        partitions_def=partitions,
        group_name=GROUP,
        kinds={"xml"},
        description=f"{what}, released once its control check passed: FO. name under extracts/out/<cbe>/, its GO "
        "file last, a line of extracts/manifest.jsonl and an audit record naming the recipient.",
    )
    def released(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        home = warehouse.settings
        with step_errors():
            done = delivery.release(home, delivery.staged(home, kind, period_of(kind, context.partition_key)))
        entry = done.entry
        return dg.MaterializeResult(
            metadata={
                "file": entry["file"],
                "path": dg.MetadataValue.path(str(done.path)),
                "recipient": f"{entry['recipient_name']} ({entry['recipient_cbe']})",
                "snapshot_id": entry["snapshot_id"],
                "control": dg.MetadataValue.json(entry["control"]),
            }
        )

    return staged, released


finances_staged, finances_extract = _extract_assets(
    "finances", FINANCES_STAGED, FINANCES_EXTRACT, TAX_YEARS, "The SPF Finances extract of a tax year"
)
ssh_staged, ssh_extract = _extract_assets(
    "ssh", SSH_STAGED, SSH_EXTRACT, STATUS_MONTHS, "The harmonised social statuses of a month"
)
EXTRACT_ASSETS = [finances_staged, finances_extract, ssh_staged, ssh_extract]

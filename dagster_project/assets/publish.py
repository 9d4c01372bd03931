"""Publication: a new read-only snapshot of the marts, verified, then CURRENT switched atomically."""

import dagster as dg

from dagster_project.assets.ingest import POOL, RETRY
from dagster_project.dates import ALLOW_EARLIER_TAG, reference_date_from_tags
from dagster_project.publication import publish
from dagster_project.resources import Warehouse, no_retry_on_bad_input
from kernel import published
from kernel.settings import keep_snapshots

SNAPSHOT = dg.AssetKey(["published", "snapshot"])


def mart_key(source: str) -> dg.AssetKey:
    """``marts.fct_x`` -> the dbt asset key ``[marts, fct_x]``."""
    return dg.AssetKey(source.split("."))


MART_KEYS = sorted({mart_key(t.source) for t in published.TABLES}, key=lambda k: k.to_user_string())


@dg.asset(
    key=SNAPSHOT,
    deps=MART_KEYS,
    group_name="publish",
    kinds={"duckdb"},
    pool=POOL,
    retry_policy=RETRY,
    description="A read-only snapshot of the consumer-facing marts and reference data under a new name, "
    "verified against the published contract, then CURRENT switched atomically. Readers never open the warehouse.",
)
def published_snapshot(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    reference_date = reference_date_from_tags(context.run.tags)
    allow_earlier = context.run.tags.get(ALLOW_EARLIER_TAG) == "true"
    with warehouse.locked() as home, no_retry_on_bad_input():
        result = publish(home, reference_date, allow_earlier=allow_earlier, keep=keep_snapshots())
    snapshot = result.snapshot
    how = f"as a delta from {snapshot.manifest['delta_from']}" if result.delta else "in full"
    context.log.info(f"published {snapshot.refresh_id} (R={reference_date}) {how} in {result.seconds:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "refresh_id": snapshot.refresh_id,
            "reference_date": reference_date.isoformat(),
            "path": dg.MetadataValue.path(str(snapshot.path)),
            "seconds": round(result.seconds, 3),
            "delta_from": snapshot.manifest.get("delta_from") or "",
            **{f"rows_{name}": n for name, n in result.row_counts.items()},
        }
    )

"""Publication: a new read-only snapshot of the marts and its index files, verified, then CURRENT switched."""

import os
import tempfile

import dagster as dg

from dagster_project.checks import FinalMovesAccepted, moves_beyond_threshold
from dagster_project.dates import ALLOW_EARLIER_TAG, reference_date_from_tags
from dagster_project.failures import step_errors
from dagster_project.keys import DELTA_KEY, MART_KEYS, POOL, RETRY, SNAPSHOT
from dagster_project.publication import publish
from dagster_project.resources import Warehouse
from kernel.errors import LwwError
from kernel.settings import Settings, keep_snapshots


def check_writable(home: Settings) -> None:
    """Fail with the folder and the reason before building anything in a folder that refuses new files."""
    try:
        home.published.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home.published, prefix=".probe-"):
            pass
    except OSError as error:
        raise LwwError(f"cannot write {home.published}: {error.strerror or error}") from None
    if not os.access(home.published, os.W_OK):
        raise LwwError(f"cannot write {home.published}: not writable")


@dg.asset(
    key=SNAPSHOT,
    # publication also reads what the build recomputed from the delta mart (a delta of the previous snapshot)
    deps=[*MART_KEYS, DELTA_KEY],
    group_name="publish",
    kinds={"duckdb"},
    pool=POOL,
    retry_policy=RETRY,
    description="A read-only snapshot of the consumer-facing marts and reference data under a new name, "
    "verified against the published contract, with the service's per-person index files built and verified beside "
    "it, then both committed and CURRENT switched atomically. Readers never open the warehouse.",
)
def published_snapshot(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    reference_date = reference_date_from_tags(context.run.tags)
    allow_earlier = context.run.tags.get(ALLOW_EARLIER_TAG) == "true"
    accepted = FinalMovesAccepted.from_tags(context.run.tags)
    record, decision = {}, {}
    with step_errors(), warehouse.locked() as home:
        check_writable(home)
        if accepted:
            # the blocking check let this run through on the operator's word: the snapshot keeps who and why
            beyond, threshold = moves_beyond_threshold(home)
            if beyond:
                record = {"final_moves_accepted": {**accepted.record(beyond, threshold), "run_id": context.run_id}}
                decision = {
                    "final_moves_accepted_by": accepted.by,
                    "final_moves_accepted_reason": accepted.reason,
                    "final_moves_accepted_months": ", ".join(m[0].strftime("%Y-%m") for m in beyond),
                }
            else:
                context.log.info("--accept-final-moves: no FINAL month moved beyond the threshold, nothing to accept")
        result = publish(
            home, reference_date, allow_earlier=allow_earlier, keep=keep_snapshots(), record=record or None
        )
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
            **decision,
            **{f"rows_{name}": n for name, n in result.row_counts.items()},
        }
    )

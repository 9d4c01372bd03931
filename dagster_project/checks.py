"""Python asset checks: each records its threshold and the observed value. The blocking one stops publication."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
import duckdb

from dagster_project.failures import step_errors
from dagster_project.keys import MONTHLY_AMOUNTS, OPEN_REJECTIONS, PAYMENT_LINES
from dagster_project.resources import Warehouse
from dagster_project.warehouse import opened
from kernel import snapshots
from kernel.settings import Settings, env_number


def max_final_move_pct() -> float:
    """How far (in %) the total of a month that was FINAL may move before publication is stopped."""
    return env_number("LWW_MAX_FINAL_MOVE_PCT", 1.0, minimum=0)


def final_month_moves(
    warehouse: duckdb.DuckDBPyConnection, previous: snapshots.Snapshot | None
) -> list[tuple[dt.date, float, float, float]]:
    """(month, previous total, new total, move %) for months FINAL in the previous snapshot."""
    if previous is None:
        return []
    warehouse.execute("ATTACH ? AS prev (READ_ONLY)", [str(previous.path)])
    try:
        return warehouse.execute(
            """
            WITH before AS (
                SELECT month, sum(amount) AS total FROM prev.monthly_amounts
                GROUP BY month HAVING bool_and(finality_status = 'FINAL')
            ), now AS (
                SELECT month, sum(amount) AS total FROM marts.fct_monthly_amounts GROUP BY month
            )
            SELECT b.month, b.total::DOUBLE, coalesce(n.total, 0)::DOUBLE,
                   CASE WHEN b.total = 0 THEN 0
                        ELSE abs(coalesce(n.total, 0) - b.total) * 100.0 / b.total END::DOUBLE AS move_pct
            FROM before b LEFT JOIN now n USING (month)
            ORDER BY move_pct DESC, month
            """
        ).fetchall()
    finally:
        warehouse.execute("DETACH prev")


# An operator's decision to publish although FINAL months moved beyond the threshold (lww refresh
# --accept-final-moves): who and why travel as run tags, so the run's own record says it too.
ACCEPT_BY_TAG = "lww/accept_final_moves_by"
ACCEPT_REASON_TAG = "lww/accept_final_moves_reason"
ACCEPT_AT_TAG = "lww/accept_final_moves_at"


@dataclass(frozen=True)
class FinalMovesAccepted:
    by: str
    reason: str
    decided_at: str  # ISO timestamp, UTC

    def tags(self) -> dict[str, str]:
        return {ACCEPT_BY_TAG: self.by, ACCEPT_REASON_TAG: self.reason, ACCEPT_AT_TAG: self.decided_at}

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> "FinalMovesAccepted | None":
        if not tags.get(ACCEPT_BY_TAG):
            return None
        return cls(tags[ACCEPT_BY_TAG], tags.get(ACCEPT_REASON_TAG, ""), tags.get(ACCEPT_AT_TAG, ""))

    def record(self, moves: list[tuple[dt.date, float, float, float]], threshold: float) -> dict[str, Any]:
        """What the snapshot's manifest keeps of the decision (``final_moves_accepted``)."""
        return {
            "by": self.by,
            "reason": self.reason,
            "decided_at": self.decided_at,
            "threshold_pct": threshold,
            "months": [
                {
                    "month": m.isoformat(),
                    "previous_total": round(p, 2),
                    "new_total": round(n, 2),
                    "move_pct": round(x, 4),
                }
                for m, p, n, x in moves
            ],
        }


def moves_beyond_threshold(home: Settings) -> tuple[list[tuple[dt.date, float, float, float]], float]:
    """The FINAL months of the snapshot being served whose total moved beyond the threshold, and the threshold.
    The caller holds the warehouse lock."""
    threshold = max_final_move_pct()
    with opened(home, read_only=True) as connection:
        moves = final_month_moves(connection, snapshots.current(home.published))
    return [m for m in moves if m[3] > threshold], threshold


@dg.asset_check(
    asset=MONTHLY_AMOUNTS,
    blocking=True,
    description="Months that were FINAL in the snapshot being served must not move by more than "
    "LWW_MAX_FINAL_MOVE_PCT % (default 1) in their national total: a larger move is the sign of a wrong file "
    "(a late revision alone never blocks). `lww refresh --accept-final-moves --reason …` publishes anyway, and "
    "the snapshot's manifest records who decided and why.",
)
def final_months_stable(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
    threshold = max_final_move_pct()
    with step_errors(), warehouse.reader() as connection:
        moves = final_month_moves(connection, snapshots.current(warehouse.settings.published))
    worst = moves[0] if moves else None
    observed = worst[3] if worst else 0.0
    metadata: dict[str, Any] = {
        "threshold_pct": threshold,
        "observed_max_move_pct": round(observed, 4),
        "worst_month": worst[0].isoformat() if worst else "none",
        "final_months_compared": len(moves),
    }
    beyond = [m for m in moves if m[3] > threshold]
    accepted = FinalMovesAccepted.from_tags(context.run.tags)
    if beyond and accepted:
        # the operator's decision: the check still fails (it is recorded as failed), but no longer blocks
        metadata.update(
            {
                "accepted_by": accepted.by,
                "accepted_reason": accepted.reason,
                "accepted_at": accepted.decided_at,
                "months_beyond_threshold": ", ".join(m[0].strftime("%Y-%m") for m in beyond),
            }
        )
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=f"FINAL months moved beyond {threshold} %: published anyway, accepted by {accepted.by}",
        )
    return dg.AssetCheckResult(
        passed=not beyond,
        metadata=metadata,
        description=(
            f"FINAL months moved beyond {threshold} %: "
            + ", ".join(f"{m[0]:%Y-%m} by {m[3]:.2f} %" for m in beyond)
            + " (publish anyway with lww refresh --accept-final-moves --reason …)"
        )
        if beyond
        else None,
    )


@dg.asset_check(
    asset=OPEN_REJECTIONS,
    description="Open rejections older than 6 months are abandoned: worth a look at the CPAS concerned.",
)
def no_abandoned_rejections(warehouse: Warehouse) -> dg.AssetCheckResult:
    with step_errors(), warehouse.reader() as connection:
        (observed,) = connection.execute("SELECT count(*) FROM marts.dq_open_rejections WHERE is_abandoned").fetchone()
    return dg.AssetCheckResult(
        passed=observed == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"threshold": 0, "observed": observed},
    )


def missing_months(present: list[dt.date]) -> list[dt.date]:
    """Months between the first and last reporting month that have no payments file."""
    if not present:
        return []
    have, missing = set(present), []
    month = min(present)
    while month < max(present):
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        if month not in have:
            missing.append(month)
    return missing


@dg.asset_check(
    asset=PAYMENT_LINES,
    description="Every month between the first and the last has a payments file: a gap is a missing upstream "
    "month (SPP IS sends one every month).",
)
def no_missing_upstream_month(warehouse: Warehouse) -> dg.AssetCheckResult:
    with step_errors(), warehouse.reader() as connection:
        present = [
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT reporting_month FROM raw.loaded_files "
                "WHERE kind = 'payments' AND reporting_month IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
    gaps = missing_months(present)
    return dg.AssetCheckResult(
        passed=not gaps,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "threshold": 0,
            "observed": len(gaps),
            "missing_months": ", ".join(m.strftime("%Y-%m") for m in gaps) or "none",
        },
    )


CHECKS = [final_months_stable, no_abandoned_rejections, no_missing_upstream_month]

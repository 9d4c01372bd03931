"""Python asset checks: each records its threshold and the observed value. The blocking one stops publication."""

import datetime as dt

import dagster as dg
import duckdb

from dagster_project.assets.ingest import PAYMENT_LINES
from dagster_project.resources import Warehouse
from kernel import snapshots
from kernel.settings import env_number

MONTHLY_AMOUNTS = dg.AssetKey(["marts", "fct_monthly_amounts"])
OPEN_REJECTIONS = dg.AssetKey(["marts", "dq_open_rejections"])


def max_final_move_pct() -> float:
    """How far (in %) the total of a month that was FINAL may move before publication is stopped."""
    return env_number("LWW_MAX_FINAL_MOVE_PCT", 1.0, minimum=0)


def final_month_moves(
    warehouse: duckdb.DuckDBPyConnection, previous: snapshots.Snapshot | None
) -> list[tuple[dt.date, float, float, float]]:
    """(month, previous total, new total, move %) for months FINAL in the previous snapshot."""
    if previous is None:
        return []
    warehouse.execute(f"ATTACH '{previous.path}' AS prev (READ_ONLY)")
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


@dg.asset_check(
    asset=MONTHLY_AMOUNTS,
    blocking=True,
    description="Months that were FINAL in the snapshot being served must not move by more than "
    "LWW_MAX_FINAL_MOVE_PCT % (default 1): a larger move means a broken load, not late revisions.",
)
def final_months_stable(warehouse: Warehouse) -> dg.AssetCheckResult:
    home = warehouse.settings
    threshold = max_final_move_pct()
    with warehouse.locked():
        connection = duckdb.connect(str(home.warehouse), read_only=True)
        try:
            moves = final_month_moves(connection, snapshots.current(home.published))
        finally:
            connection.close()
    worst = moves[0] if moves else None
    observed = worst[3] if worst else 0.0
    return dg.AssetCheckResult(
        passed=observed <= threshold,
        metadata={
            "threshold_pct": threshold,
            "observed_max_move_pct": round(observed, 4),
            "worst_month": worst[0].isoformat() if worst else "none",
            "final_months_compared": len(moves),
        },
    )


@dg.asset_check(
    asset=OPEN_REJECTIONS,
    description="Open rejections older than 6 months are abandoned: worth a look at the CPAS concerned.",
)
def no_abandoned_rejections(warehouse: Warehouse) -> dg.AssetCheckResult:
    home = warehouse.settings
    with warehouse.locked():
        connection = duckdb.connect(str(home.warehouse), read_only=True)
        try:
            (observed,) = connection.execute(
                "SELECT count(*) FROM marts.dq_open_rejections WHERE is_abandoned"
            ).fetchone()
        finally:
            connection.close()
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
    home = warehouse.settings
    with warehouse.locked():
        connection = duckdb.connect(str(home.warehouse), read_only=True)
        try:
            present = [
                row[0]
                for row in connection.execute(
                    "SELECT DISTINCT reporting_month FROM raw.loaded_files "
                    "WHERE kind = 'payments' AND reporting_month IS NOT NULL ORDER BY 1"
                ).fetchall()
            ]
        finally:
            connection.close()
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

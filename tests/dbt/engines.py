"""The dbt project on Spark for the tests: dbt-spark in session mode, run in the test's own process so that every
build of a test module shares one Spark (one JVM start), and the marts compared with a DuckDB build row for row."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from dagster_project.assets.dbt import environment
from dagster_project.engines import spark
from kernel import published
from kernel.settings import Settings
from tests.dbt.warehouse import dbt_args

# Columns that say when a build ran, not what it computed.
VOLATILE = {"fct_refresh_delta": {"completed_build"}}


def build_on_spark(home: Settings, work: Path, reference_date: str, command: str = "build", *select: str) -> None:
    """Export the raw tables of ``home``'s warehouse, run dbt with the spark target in this process, and import the
    marts Spark exported into the warehouse, as the pipeline does with LWW_ENGINE=spark. Raises with dbt's errors."""
    from dbt.cli.main import dbtRunner

    told = spark.before_build(home)
    args = [*dbt_args(work, command)[1:], "--target", spark.target()]
    if select:
        args += ["--select", *select]
    env = {
        **spark.environment(home),
        **told,
        "LWW_DBT_REFERENCE_DATE": reference_date,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # one Spark per test process, whatever home the test uses: its tables live under the first one
        "LWW_SPARK_HOME": os.environ.get("LWW_TEST_SPARK_HOME", str(home.spark_dir)),
    }
    with environment(**env):
        result = dbtRunner().invoke(args)
    if not result.success:
        failures = [f"{r.node.unique_id}: {r.message}" for r in (result.result or []) if r.status in ("error", "fail")]
        raise AssertionError(f"dbt {command} on Spark failed: {result.exception or ''} {failures}")
    spark.after_build(home, complete=not select)


def mart_names(warehouse: Path) -> list[str]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY table_name"
        ).fetchall()
    finally:
        connection.close()
    return [name for (name,) in rows]


def _keys(name: str, columns: list[str]) -> list[str]:
    for table in published.TABLES:
        if table.source == f"marts.{name}" and table.sort_key:
            return list(table.sort_key)
    return columns[:1]


def first_difference(duck: Path, spark_built: Path, name: str) -> str | None:
    """None when mart ``name`` holds the same rows in both warehouses (as multisets, every column but the volatile
    ones); else the first difference: the key and both values."""
    connection = duckdb.connect()
    try:
        connection.execute(f"ATTACH '{duck}' AS duck (READ_ONLY)")
        connection.execute(f"ATTACH '{spark_built}' AS spark (READ_ONLY)")
        columns = [
            column
            for (column,) in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'duck' "
                "AND table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
                [name],
            ).fetchall()
            if column not in VOLATILE.get(name, set())
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        sides = {"duckdb": f"duck.marts.{name}", "spark": f"spark.marts.{name}"}
        keys = _keys(name, columns)
        for side, other in (("duckdb", "spark"), ("spark", "duckdb")):
            extra = connection.execute(
                f"SELECT {listed} FROM {sides[side]} EXCEPT ALL SELECT {listed} FROM {sides[other]} "
                f"ORDER BY ALL LIMIT 1"
            ).fetchone()
            if extra is None:
                continue
            row = dict(zip(columns, extra, strict=True))
            key = {k: row[k] for k in keys}
            where = " AND ".join(f'"{k}" IS NOT DISTINCT FROM ?' for k in keys)
            found = connection.execute(
                f"SELECT {listed} FROM {sides[other]} WHERE {where} ORDER BY ALL LIMIT 1", list(key.values())
            ).fetchone()
            theirs = dict(zip(columns, found, strict=True)) if found else None
            changed = {c: (row[c], theirs[c]) for c in columns if theirs and row[c] != theirs[c]}
            return f"{name} at {key}: {side} has {row}, {other} " + (
                f"differs in {changed}" if theirs else "has no row with this key"
            )
        return None
    finally:
        connection.close()

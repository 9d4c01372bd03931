"""Apache Spark: the same dbt project through dbt-spark (target ``spark`` of dbt/profiles.yml). Locally a Spark inside
the dbt process (session mode: pyspark and Java 17); on a cluster, the thrift method (README, "Spark").

Spark does not read the DuckDB file: before a build, the raw tables go to Parquet files (one folder per table,
registered by dbt's on-run-start, macros/engines/raw_tables.sql); after it, dbt's on-run-end writes every mart as
Parquet files (macros/engines/export.sql) and they replace the marts of the DuckDB warehouse, from which publication
builds the snapshot as with the DuckDB engine. Spark's Parquet tables allow no delete or update, so every build on
Spark is a full one (macros/engines/incremental.sql).

Under ``$LWW_HOME/warehouse/spark``: ``tables`` (Spark's warehouse) and ``metastore`` (its catalogue, Derby: one
build at a time, as the warehouse lock ensures), ``raw``, ``records`` and ``marts`` (the Parquet files passed each
way)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from kernel import published, raw_tables
from kernel.errors import LwwError
from kernel.settings import Settings


def target() -> str:
    """The dbt target: session (a local Spark in the dbt process) by default; LWW_SPARK_TARGET=spark_cluster for a
    cluster's Thrift server."""
    return os.environ.get("LWW_SPARK_TARGET", "").strip() or "spark"


PARQUET_GLOB = "*.parquet"


def check() -> None:
    """What a local Spark needs, said before a refresh starts rather than deep in dbt: pyspark and Java 17."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        raise LwwError("LWW_ENGINE=spark needs pyspark: reinstall the project (make install)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise LwwError(
            "LWW_ENGINE=spark needs Java 17 on PATH or in JAVA_HOME: apt-get install openjdk-17-jre-headless"
        )


def raw_dir(settings: Settings) -> Path:
    return settings.spark_dir / "raw"


def marts_dir(settings: Settings) -> Path:
    return settings.spark_dir / "marts"


def records_dir(settings: Settings) -> Path:
    return settings.spark_dir / "records"


# The cumulative records: dbt models with full_refresh=false, which keep what earlier builds wrote (the right events
# already seen, and whom each was due to). The warehouse's copy is the one that counts whatever engine wrote it:
# Spark starts each run from it and gives it back (macros/engines/raw_tables.sql, export.sql), so an engine switch
# neither notifies an event twice nor misses one. tests/dbt/test_spark_engine.py checks this list against dbt's.
RECORDS = ("intermediate.int_right_event_recipients",)


def environment(settings: Settings) -> dict[str, str]:
    """What the spark target of dbt/profiles.yml and the engine macros read."""
    return {
        "LWW_SPARK_HOME": str(settings.spark_dir),
        "LWW_SPARK_RAW": str(raw_dir(settings)),
        "LWW_SPARK_EXPORT": str(marts_dir(settings)),
        "LWW_SPARK_RECORDS": str(records_dir(settings)),
    }


def before_build(settings: Settings) -> dict[str, str]:
    """The raw tables and the cumulative records of the warehouse as Parquet files, each folder replaced whole; the
    marts of the build before removed, so that only this build's can be imported. Returns what dbt is told besides
    ``environment``: which records the warehouse has (the others start empty, as in a first build)."""
    export_raw(settings.warehouse, raw_dir(settings))
    present = export_records(settings.warehouse, records_dir(settings))
    shutil.rmtree(marts_dir(settings), ignore_errors=True)
    return {"LWW_SPARK_RECORDS_PRESENT": ",".join(present)}


def after_build(settings: Settings, *, complete: bool = True) -> None:
    """The marts (and the cumulative records) Spark exported replace the warehouse's."""
    import_marts(settings.warehouse, marts_dir(settings), complete=complete)


def _copy_to_parquet(connection: duckdb.DuckDBPyConnection, relation: str, final: Path) -> int:
    """``relation`` as ``final/data.parquet``, written beside and swapped in, so a crash leaves the previous files
    whole. Returns the rows written."""
    fresh, old = final.with_name(f".{final.name}.new"), final.with_name(f".{final.name}.old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir(parents=True)
    connection.execute(f"COPY {relation} TO '{fresh / 'data.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
    if final.exists():
        final.rename(old)
    fresh.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return connection.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]


def export_raw(warehouse: Path, folder: Path) -> dict[str, int]:
    """Every raw table of ``warehouse`` as ``folder/<table>/data.parquet``. Returns the rows written per table."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t.name: _copy_to_parquet(connection, t.qualified, folder / t.name) for t in raw_tables.ALL_TABLES}
    finally:
        connection.close()


def export_records(warehouse: Path, folder: Path) -> list[str]:
    """The cumulative records ``warehouse`` holds as ``folder/<schema>.<model>/data.parquet`` (a record it does not
    hold: its folder removed). Returns the names of those it holds."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        held = {
            f"{schema}.{name}"
            for schema, name in connection.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
            ).fetchall()
        }
        for record in RECORDS:
            if record in held:
                _copy_to_parquet(connection, record, folder / record)
            else:
                shutil.rmtree(folder / record, ignore_errors=True)
    finally:
        connection.close()
    return [record for record in RECORDS if record in held]


def import_marts(warehouse: Path, folder: Path, *, complete: bool = True) -> dict[str, int]:
    """Replace the marts of ``warehouse`` (schema marts; a folder ``<schema>.<model>`` goes to that schema: a
    cumulative record) with the ones Spark exported to ``folder``, in one transaction; with ``complete`` (a refresh),
    every published mart must be there. Returns the rows imported per table."""
    exported = sorted(path for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []
    names = {path.name for path in exported}
    missing = sorted({table.source.split(".", 1)[1] for table in published.TABLES} - names)
    if complete and missing:
        raise LwwError(f"the Spark build exported no {', '.join(missing)} under {folder}: the build did not complete")
    for path in exported:
        if not (path / "_SUCCESS").exists() or not any(path.glob(PARQUET_GLOB)):
            raise LwwError(f"{path} is not a complete export of {path.name} (no _SUCCESS or no Parquet file)")
    imported: dict[str, int] = {}
    connection = duckdb.connect(str(warehouse))
    try:
        connection.execute("BEGIN")
        kinds = {
            f"{schema}.{name}": kind
            for schema, name, kind in connection.execute(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables"
            ).fetchall()
        }
        for path in exported:
            schema, name = path.name.split(".", 1) if "." in path.name else ("marts", path.name)
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            if kinds.get(f"{schema}.{name}") == "VIEW":  # built as a view by the DuckDB engine before
                connection.execute(f'DROP VIEW "{schema}"."{name}"')
            connection.execute(
                f'CREATE OR REPLACE TABLE "{schema}"."{name}" AS SELECT * FROM read_parquet(\'{path / PARQUET_GLOB}\')'
            )
            imported[f"{schema}.{name}"] = connection.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()
    return imported

"""Apache Spark: the same dbt project through dbt-spark (target ``spark`` of dbt/profiles.yml). Locally a Spark inside
the dbt process (session mode: pyspark and Java 17); on a cluster, the thrift method (README, "Spark").

Spark does not read the DuckDB file: before a build, the raw tables go to Parquet files (one folder per table,
registered by dbt's on-run-start, macros/engines/raw_tables.sql); after it, dbt's on-run-end writes every mart as
Parquet files (macros/engines/export.sql) and they replace the marts of the DuckDB warehouse, from which publication
builds the snapshot as with the DuckDB engine. Spark's Parquet tables allow no delete or update, so every build on
Spark is a full one (macros/engines/incremental.sql).

Under ``$LWW_HOME/warehouse/spark``: ``tables`` (Spark's warehouse) and ``metastore`` (its catalogue, Derby: one
build at a time, as the warehouse lock ensures), ``raw`` and ``marts`` (the Parquet files passed each way)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from kernel import published, raw_tables
from kernel.errors import LwwError
from kernel.settings import Settings

# session (a local Spark in the dbt process) by default; LWW_SPARK_TARGET=spark_cluster for a cluster's Thrift server
TARGET = os.environ.get("LWW_SPARK_TARGET", "").strip() or "spark"
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


def environment(settings: Settings) -> dict[str, str]:
    """What the spark target of dbt/profiles.yml and the engine macros read."""
    return {
        "LWW_SPARK_HOME": str(settings.spark_dir),
        "LWW_SPARK_RAW": str(raw_dir(settings)),
        "LWW_SPARK_EXPORT": str(marts_dir(settings)),
    }


def before_build(settings: Settings) -> None:
    """The raw tables of the warehouse as Parquet files, each folder replaced whole; the marts of the build before
    removed, so that only this build's can be imported."""
    export_raw(settings.warehouse, raw_dir(settings))
    shutil.rmtree(marts_dir(settings), ignore_errors=True)


def after_build(settings: Settings, *, complete: bool = True) -> None:
    import_marts(settings.warehouse, marts_dir(settings), complete=complete)


def export_raw(warehouse: Path, folder: Path) -> dict[str, int]:
    """Every raw table of ``warehouse`` as ``folder/<table>/data.parquet`` (written beside, then swapped in, so a
    crash leaves the previous files whole). Returns the rows written per table."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table in raw_tables.ALL_TABLES:
            final, fresh, old = folder / table.name, folder / f".{table.name}.new", folder / f".{table.name}.old"
            for leftover in (fresh, old):
                shutil.rmtree(leftover, ignore_errors=True)
            fresh.mkdir()
            connection.execute(
                f"COPY {table.qualified} TO '{fresh / 'data.parquet'}' (FORMAT parquet, COMPRESSION zstd)"
            )
            written[table.name] = connection.execute(f"SELECT count(*) FROM {table.qualified}").fetchone()[0]
            if final.exists():
                final.rename(old)
            fresh.rename(final)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        connection.close()
    return written


def import_marts(warehouse: Path, folder: Path, *, complete: bool = True) -> dict[str, int]:
    """Replace the marts of ``warehouse`` (schema marts) with the ones Spark exported to ``folder``, in one
    transaction; with ``complete`` (a refresh), every published mart must be there. Returns the rows imported per
    mart."""
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
        connection.execute("CREATE SCHEMA IF NOT EXISTS marts")
        kinds = dict(
            connection.execute(
                "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'marts'"
            ).fetchall()
        )
        for path in exported:
            name = path.name
            if kinds.get(name) == "VIEW":  # built as a view by the DuckDB engine before
                connection.execute(f'DROP VIEW marts."{name}"')
            connection.execute(
                f"CREATE OR REPLACE TABLE marts.\"{name}\" AS SELECT * FROM read_parquet('{path / PARQUET_GLOB}')"
            )
            imported[name] = connection.execute(f'SELECT count(*) FROM marts."{name}"').fetchone()[0]
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()
    return imported

"""The engine that runs the dbt project: DuckDB (the default, the warehouse file itself) or Spark (``LWW_ENGINE=spark``:
the same models through dbt-spark, the way past one machine). Whatever the engine, the marts end in the DuckDB
warehouse, where publication reads them: the service and the dashboards read DuckDB snapshots either way.

An engine is one module here with the same names: ``target()`` (the dbt target of dbt/profiles.yml), ``check()``
(what it needs on this machine, said before a refresh starts), ``environment(settings)`` (what dbt's profile reads),
``before_build(settings)`` (what it moves before the build; returns what dbt is told besides) and
``after_build(settings)``."""

from __future__ import annotations

import os
from types import ModuleType

from dagster_project.engines import duckdb, spark
from kernel.errors import LwwError
from kernel.settings import Settings

ENGINES: dict[str, ModuleType] = {"duckdb": duckdb, "spark": spark}
ENV = "LWW_ENGINE"


def current() -> ModuleType:
    """The engine ``LWW_ENGINE`` names (default duckdb); any other value is an error naming it."""
    name = os.environ.get(ENV, "").strip().lower() or "duckdb"
    if name not in ENGINES:
        raise LwwError(f"{ENV}={os.environ[ENV]!r}: expected one of {', '.join(ENGINES)}")
    return ENGINES[name]


def name_of(engine: ModuleType) -> str:
    return engine.__name__.rsplit(".", 1)[-1]


MARKER = "marts.engine"


def switched(settings: Settings, engine: ModuleType) -> bool:
    """Whether the warehouse's marts were last built by another engine (a full build then starts afresh: the other
    engine's incremental state does not describe these marts)."""
    marker = settings.warehouse_dir / MARKER
    return marker.exists() and marker.read_text().strip() != name_of(engine)


def record(settings: Settings, engine: ModuleType) -> None:
    """Note which engine built the warehouse's marts (after a build that succeeded)."""
    (settings.warehouse_dir / MARKER).write_text(name_of(engine) + "\n")

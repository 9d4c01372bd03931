"""DuckDB, the default engine: dbt builds in the warehouse file, where ingest wrote the raw tables and where
publication reads the marts. Nothing to move before or after a build."""

from __future__ import annotations

from kernel.settings import Settings


def target() -> str:
    return "warehouse"


def check() -> None:
    return None


def environment(settings: Settings) -> dict[str, str]:
    return {}


def before_build(settings: Settings) -> dict[str, str]:
    return {}


def after_build(settings: Settings) -> None:
    return None

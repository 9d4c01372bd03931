"""The dbt project as Dagster assets: models keyed ``[folder, model]``, sources mapped onto the ingest assets,
dbt tests surfacing as asset checks. The project and its manifest come from a cached factory, so unrelated code
never parses dbt at import time."""

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from dagster_project.assets.ingest import AUDIT_LOG, INGEST_LEDGER, PAYMENT_LINES, POOL, REFERENCE, RIGHT_EVENTS
from dagster_project.dates import reference_date_from_tags
from dagster_project.lock import exclusive
from dagster_project.resources import Warehouse
from kernel.settings import DBT_PROJECT_DIR

# Which ingest asset writes each raw table the dbt sources read.
SOURCE_ASSETS = {
    "payment_lines": PAYMENT_LINES,
    "right_events": RIGHT_EVENTS,
    "loaded_files": INGEST_LEDGER,
    "quarantined_files": INGEST_LEDGER,
    "audit_log": AUDIT_LOG,
}


def dbt_executable() -> str:
    """The venv's own dbt, so the pipeline works without an activated venv (dagster-dbt looks on PATH)."""
    own = Path(sys.executable).with_name("dbt")
    return str(own) if own.exists() else "dbt"


class Translator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            table = dbt_resource_props["name"]
            return REFERENCE if table.startswith("ref_") else SOURCE_ASSETS.get(table, dg.AssetKey(["raw", table]))
        fqn = dbt_resource_props["fqn"]
        return dg.AssetKey([fqn[1] if len(fqn) > 2 else "models", dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "models"


def _stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds", "snapshots", "analyses"):
        watched += (DBT_PROJECT_DIR / folder).rglob("*")
    return any(p.is_file() and p.stat().st_mtime > built for p in watched)


@cache
def dbt_project() -> DbtProject:
    """The dbt project with an up-to-date manifest (``dbt parse`` when a model changed since the last one)."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR)
    if _stale(project.manifest_path):
        with exclusive(DBT_PROJECT_DIR / "target" / ".parse.lock", timeout_s=300):
            if _stale(project.manifest_path):
                env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
                done = subprocess.run(
                    [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
                     "--profiles-dir", str(DBT_PROJECT_DIR)],
                    capture_output=True, text=True, env=env, check=False,
                )  # fmt: skip
                if done.returncode != 0:
                    raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
    return project


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())


@cache
def macros_version() -> str:
    """A hash of the dbt project's macros: dbt fingerprints each model's own SQL, not the macros it calls, so the
    pipeline passes this too, and a change of a macro makes the next build a full one (macros/refresh.sql)."""
    digest = hashlib.sha256()
    for path in sorted((DBT_PROJECT_DIR / "macros").rglob("*.sql")):
        digest.update(path.relative_to(DBT_PROJECT_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build_args(reference_date: str) -> list[str]:
    """The dbt command of a refresh: every model and data test, for reference date R. The models recompute only
    what can have changed since the last completed build (macros/refresh.sql), or everything when needed.

    Unit tests check the code, not the data: they run in the test suite (and CI), not in every refresh."""
    variables = {"reference_date": reference_date, "macros_version": macros_version()}
    return ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables)]


def make_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        # Several raw tables come from one ingest asset (the six reference tables, the two ledgers).
        dagster_dbt_translator=Translator(DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)),
        pool=POOL,
        name="warehouse_models",
    )
    def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
        reference_date = reference_date_from_tags(context.run.tags)
        with warehouse.locked() as home:
            # dbt's profile reads the warehouse path from LWW_WAREHOUSE; dagster-dbt passes os.environ to dbt.
            os.environ["LWW_WAREHOUSE"] = str(home.warehouse)
            yield from dbt.cli(build_args(reference_date.isoformat()), context=context).stream()

    return warehouse_models

"""The dbt project as Dagster assets: models keyed ``[folder, model]``, sources mapped onto the ingest assets,
dbt tests surfacing as asset checks. The project and its manifest come from a cached factory, so unrelated code
never parses dbt at import time."""

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.asset_utils import default_description_fn
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from dagster_shared.record import replace as dg_replace
from packaging import version

from dagster_project import children, engines
from dagster_project.dates import FULL_REFRESH_TAG, reference_date_from_tags
from dagster_project.failures import one_line, step_errors
from dagster_project.keys import POOL, model_key, source_key
from dagster_project.lock import children_lock, exclusive
from dagster_project.resources import Warehouse
from kernel.settings import DBT_PROJECT_DIR, Settings


def dbt_executable() -> str:
    """The venv's own dbt, so the pipeline works without an activated venv (dagster-dbt looks on PATH)."""
    own = Path(sys.executable).with_name("dbt")
    return str(own) if own.exists() else "dbt"


class Translator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return source_key(dbt_resource_props["name"])
        fqn = dbt_resource_props["fqn"]
        return model_key(fqn[1] if len(fqn) > 2 else "models", dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "models"

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # the model's yml description, without the raw SQL that dagster-dbt appends (the code is in the repository)
        return default_description_fn(dbt_resource_props, display_raw_sql=False)

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return dg_replace(spec, description=check_description(manifest["nodes"][unique_id]))


def _listed(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list | tuple) else str(values)


# What a generic test checks, in words, from its arguments (a test with a yml description keeps it).
_GENERIC = {
    "not_null": lambda k: f"{k['column_name']} is never null",
    "unique": lambda k: f"{k['column_name']} is unique",
    "unique_combination_of_columns": lambda k: f"one row per ({_listed(k['combination_of_columns'])})",
    "accepted_values": lambda k: f"{k['column_name']} is one of: {_listed(k['values'])}",
    "relationships": lambda k: f"every {k['column_name']} is a {k['field']} of {_ref_name(k['to'])}",
    "accepted_range": lambda k: " and ".join(
        f"{k['column_name']} {sign} {k[bound]}"
        for bound, sign in (("min_value", ">="), ("max_value", "<="))
        if bound in k
    ),
    "expression_is_true": lambda k: f"every row satisfies {' '.join(str(k['expression']).split())}",
}


def _ref_name(text: str) -> str:
    return text.removeprefix("ref(").removesuffix(")").strip("'\"")


def check_description(test: Mapping[str, Any]) -> str:
    """A dbt data test's description in the Dagster catalog: its own (singular tests: dbt/tests/*.yml), else what a
    generic test checks in words (``fct_x.month is never null``), with the rows it looks at when it is scoped."""
    own = (test.get("description") or "").strip()
    if own:
        return own
    metadata = test.get("test_metadata") or {}
    name, kwargs = metadata.get("name", test.get("name", "test")), dict(metadata.get("kwargs") or {})
    model = _ref_name(str(kwargs.get("model", ""))).removeprefix("{{ get_where_subquery(").removesuffix(") }}")
    try:
        words = _GENERIC[name](kwargs)
    except KeyError:
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k not in {"model", "column_name"})
        words = f"{name} on {kwargs.get('column_name', 'the rows')}" + (f" ({args})" if args else "")
    where = (test.get("config") or {}).get("where")
    scope = f" (rows where {' '.join(str(where).split())})" if where else ""
    return f"{_ref_name(model)}: {words}{scope}." if model else f"{words}{scope}."


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
                env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", children.PARENT_ENV: str(os.getpid())}
                # through dagster_project.children, like the build: it dies with this process
                done = subprocess.run(
                    [sys.executable, "-m", children.__name__, "--", dbt_executable(), "parse", "--quiet",
                     "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                    capture_output=True, text=True, env=env, check=False,
                )  # fmt: skip
                if done.returncode != 0:
                    raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
    return project


class WarehouseDbt(DbtCliResource):
    """dagster-dbt's resource without its two probes of the dbt installation, a fixed cost of every refresh
    (bench/README.md, dbt section): the version is the installed dbt-core's (the executable is this venv's own),
    where dagster-dbt runs `dbt --version` and pays dbt's imports; and no adapter is opened in process: it serves
    only column metadata and row counts, which the pipeline does not fetch. tests/dagster_project pins both names.

    dbt is started through ``dagster_project.children`` (dagster-dbt's Popen takes no ``preexec_fn``): it dies
    with the run's process, and holds the warehouse until it is gone."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    # [python, -m, dagster_project.children, --, dbt, <dbt's arguments>]: dagster-dbt puts the global flags
    # right after the executable
    return WarehouseDbt(
        project_dir=dbt_project(),
        dbt_executable=sys.executable,
        global_config_flags=["-m", children.__name__, "--", dbt_executable()],
    )


@cache
def macros_version() -> str:
    """A hash of the dbt project's macros: dbt fingerprints each model's own SQL, not the macros it calls, so the
    pipeline passes this too, and a change of a macro makes the next build a full one (macros/refresh/plan.sql)."""
    digest = hashlib.sha256()
    for path in sorted((DBT_PROJECT_DIR / "macros").rglob("*.sql")):
        digest.update(path.relative_to(DBT_PROJECT_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build_command(reference_date: str, *, full_refresh: bool = False) -> tuple[list[str], dict[str, str]]:
    """The dbt command of a refresh and the environment it adds: every model and data test, for reference date R.
    The models recompute only what can have changed since the last completed build (macros/refresh/), or
    everything when needed, or when asked (``full_refresh``: ``lww refresh --full-refresh``).

    R and the macros' version go in the environment, where the models read them when they execute
    (macros/dates.sql, refresh_var): as --vars, a new R at every refresh made dbt parse the whole project again.
    Unit tests check the code, not the data: they run in the test suite (and CI), not in every refresh."""
    variables = {"LWW_DBT_REFERENCE_DATE": reference_date, "LWW_DBT_MACROS_VERSION": macros_version()}
    args = ["build", "--exclude-resource-type", "unit_test"]
    return [*args, "--full-refresh"] if full_refresh else args, variables


@contextmanager
def environment(**variables: str) -> Iterator[None]:
    """os.environ with these variables for the block (dagster-dbt hands os.environ to dbt), then as it was."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def build_target(home: Settings) -> Path:
    """The home's own dbt target folder, kept from build to build: dbt's partial parse state stays valid there
    (the same warehouse, the same vars), so a build parses only what changed. Its log of the build before is kept
    beside the new one."""
    target = home.dbt_target
    target.mkdir(parents=True, exist_ok=True)
    # dagster-dbt seeds a new target with the project's partial parse state by shutil.copy, which keeps the
    # project file's mode (0644): copied here first, with the home's (kernel.permissions)
    seed = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    if seed.is_file() and not (target / seed.name).exists():
        shutil.copyfile(seed, target / seed.name)
    log = target / "dbt.log"
    if log.exists():
        log.replace(target / "dbt.previous.log")
    return target


def make_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        # Several raw tables come from one ingest asset (the six reference tables, the two ledgers).
        dagster_dbt_translator=Translator(
            DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True, enable_source_tests_as_checks=True)
        ),
        pool=POOL,
        name="warehouse_models",
    )
    def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
        reference_date = reference_date_from_tags(context.run.tags)
        full_refresh = context.run.tags.get(FULL_REFRESH_TAG) == "true"
        home = warehouse.settings
        with step_errors():
            engine = engines.current()
        # the other engine's incremental state does not describe these marts: start afresh
        full_refresh = full_refresh or engines.switched(home, engine)
        args, variables = build_command(reference_date.isoformat(), full_refresh=full_refresh)
        args = [*args, "--target", engine.target()]
        child = {children.PARENT_ENV: str(os.getpid()), children.LOCK_ENV: str(children_lock(home.warehouse_lock))}
        # dbt's profile reads the warehouse path from LWW_WAREHOUSE (and the engine's own paths)
        with (
            step_errors(),
            warehouse.locked(),
            environment(LWW_WAREHOUSE=str(home.warehouse), **engine.environment(home), **variables, **child),
        ):
            with environment(**engine.before_build(home)):
                invocation = dbt.cli(args, context=context, target_path=build_target(home))
                try:
                    yield from invocation.stream()
                except DagsterDbtCliRuntimeError as error:
                    raise dg.Failure(
                        description=f"dbt build failed: {dbt_errors(error)}", allow_retries=False
                    ) from None
                finally:
                    stop(invocation.process)  # the lock is released only once dbt is gone
            engine.after_build(home)
            engines.record(home, engine)

    return warehouse_models


def dbt_errors(error: DagsterDbtCliRuntimeError) -> str:
    """The errors dbt logged, on one line (dagster-dbt's message starts with advice about compute logs)."""
    text = str(error)
    marker = "Errors parsed from dbt logs:"
    messages = text.split(marker, 1)[1].split("\n\n") if marker in text else [text]
    causes: list[str] = []
    for message in messages:  # a message may carry a Python traceback after its first words: the words say it
        head = message.split("Traceback (most recent call last)")[0].strip()
        if head and not head.startswith(("During handling", "The above exception")) and head not in causes:
            causes.append(head)
    return one_line("; ".join(causes) or text)


def stop(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """Wait for dbt to end; one still running (the step was interrupted) is asked to stop, then killed."""
    if process.poll() is not None:
        return
    try:
        process.wait(timeout=1.0)  # it has closed its output: ending now
        return
    except subprocess.TimeoutExpired:
        pass
    for ask in (process.terminate, process.kill):
        ask()
        try:
            process.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue

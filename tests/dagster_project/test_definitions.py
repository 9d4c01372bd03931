"""The definitions load, and what runs does not change silently: asset graph, checks, jobs, schedules, sensors."""

import importlib.metadata
import json
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource

from dagster_project.assets.dbt import Translator, WarehouseDbt, build_command, check_description
from dagster_project.definitions import build_definitions
from kernel import published
from kernel.settings import DBT_PROJECT_DIR

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def describe(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "group": node.group_name,
            "partitioned": node.partitions_def is not None,
        }
    checks = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys)
    return {
        "assets": assets,
        "checks": checks,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted((s.name, s.cron_schedule, s.execution_timezone) for s in defs.schedules),
        "sensors": sorted(s.name for s in defs.sensors),
    }


def test_definitions_match_the_recorded_snapshot():
    """If this fails after a deliberate change, regenerate with: python -m tests.dagster_project.test_definitions"""
    actual = json.loads(json.dumps(describe(build_definitions())))
    recorded = json.loads(SNAPSHOT.read_text())
    assert actual == recorded


def test_lineage_runs_from_the_xml_files_to_the_published_snapshot():
    graph = build_definitions().resolve_asset_graph()
    snapshot = dg.AssetKey(["published", "snapshot"])
    upstream = graph.get(snapshot).parent_keys
    assert {dg.AssetKey(t.source.split(".")) for t in published.TABLES} <= upstream
    ancestors, frontier = set(), {snapshot}
    while frontier:
        frontier = {p for key in frontier for p in graph.get(key).parent_keys} - ancestors
        ancestors |= frontier
    for raw in ("payment_lines", "right_events", "reference", "audit_log", "ingest_ledger"):
        assert dg.AssetKey(["raw", raw]) in ancestors


def test_translator_maps_sources_onto_ingest_assets_and_groups_by_folder():
    translator = Translator()
    source = {"resource_type": "source", "name": "ref_pcsa", "fqn": ["lww", "reference", "ref_pcsa"]}
    assert translator.get_asset_key(source) == dg.AssetKey(["raw", "reference"])
    lines = {"resource_type": "source", "name": "payment_lines", "fqn": ["lww", "upstream", "payment_lines"]}
    assert translator.get_asset_key(lines) == dg.AssetKey(["raw", "payment_lines"])
    model = {"resource_type": "model", "name": "fct_rights", "fqn": ["lww", "marts", "rights", "fct_rights"]}
    assert translator.get_asset_key(model) == dg.AssetKey(["marts", "fct_rights"])
    assert translator.get_group_name(model) == "marts"


def test_every_dbt_model_and_check_has_a_description_in_words():
    graph = build_definitions().resolve_asset_graph()
    models = [k for k in graph.get_all_asset_keys() if k.path[0] in {"staging", "intermediate", "marts"}]
    assert len(models) > 30
    for key in models:
        description = graph.get(key).description or ""
        assert description.strip(), f"{key.to_user_string()} has no description (dbt/models/**/_*.yml)"
        assert "Raw SQL" not in description and "select " not in description.lower(), key.to_user_string()
    for key in graph.asset_check_keys:
        description = graph.get_check_spec(key).description or ""
        assert description.strip(), f"check {key.name} of {key.asset_key.to_user_string()} has no description"
        assert "{{" not in description and "Raw SQL" not in description, key.name


def test_the_singular_dbt_tests_are_asset_checks_of_the_model_they_test():
    # without meta.dagster.ref (dbt/tests/_singular__tests.yml) a test with several parents was no check: its
    # result came as an observation of each parent, with a warning in every refresh
    graph = build_definitions().resolve_asset_graph()
    singular = {key.name: key for key in graph.asset_check_keys if key.name.startswith("assert_")}
    attached = {name: key.asset_key.to_user_string() for name, key in singular.items()}
    assert attached == {
        "assert_amount_rows_have_their_lines": "marts/fct_monthly_amounts",
        "assert_monthly_sums_equal_yearly": "marts/fct_yearly_amounts",
        "assert_no_current_line_is_replaced": "intermediate/int_payment_lines_current",
        "assert_no_replacement_loop": "intermediate/int_payment_lines_chained",
    }
    assert {p.stem for p in (DBT_PROJECT_DIR / "tests").glob("*.sql")} == set(attached)
    spec = graph.get_check_spec(singular["assert_monthly_sums_equal_yearly"])
    assert spec.description.startswith("A yearly row's amount is the sum of its months")
    assert spec.blocking  # severity error: a failing rule stops the publication


def generic(name: str, where: str | None = None, **kwargs) -> dict:
    """A generic test's node as the manifest has it."""
    return {"test_metadata": {"name": name, "kwargs": kwargs}, "config": {"where": where} if where else {}}


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (generic("not_null", column_name="ssin", model="{{ get_where_subquery(ref('dim_people')) }}"),
         "dim_people: ssin is never null."),
        (generic("relationships", column_name="pcsa", to="ref('dim_pcsa')", field="cbe_number"),
         "every pcsa is a cbe_number of dim_pcsa."),
        (generic("accepted_range", where="x\n  > 1", column_name="n", min_value=0, max_value=1),
         "n >= 0 and n <= 1 (rows where x > 1)."),
        (generic("at_most", column_name="n", limit=3), "at_most on n (limit=3)."),
        ({**generic("unique", column_name="n"), "description": " Its own words. "}, "Its own words."),
    ],
)  # fmt: skip
def test_a_generic_test_is_described_in_words(test, expected):
    assert check_description(test) == expected


def test_refresh_builds_for_r_without_unit_tests():
    args, variables = build_command("2026-11-07")
    assert args[0] == "build"
    assert "--vars" not in args  # a new R in --vars at every refresh made dbt parse everything again
    assert variables["LWW_DBT_REFERENCE_DATE"] == "2026-11-07"
    assert len(variables["LWW_DBT_MACROS_VERSION"]) == 16  # a change of dbt's macros makes the next build full
    assert args[args.index("--exclude-resource-type") + 1] == "unit_test"


def test_the_dbt_resource_skips_the_probes_it_overrides(tmp_path):
    # the two names are dagster-dbt's own: a version of dagster-dbt that renames them must fail here
    assert "_cli_version" in vars(DbtCliResource) and "_initialize_dbt_core_adapter" in vars(DbtCliResource)
    failing = tmp_path / "dbt"  # `dbt --version` would fail: the version must come without running it
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o755)
    resource = WarehouseDbt(project_dir=str(DBT_PROJECT_DIR), dbt_executable=str(failing))
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(describe(build_definitions()), indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT}")

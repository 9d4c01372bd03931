"""The definitions load, and what runs does not change silently: asset graph, checks, jobs, schedules, sensors."""

import importlib.metadata
import json
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.assets.dbt import Translator, WarehouseDbt, build_command
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

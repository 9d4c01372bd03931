"""Ingest backfill by month: the upstream files are partitioned by their month of arrival, so a month (the UI's
"Materialize" of a partition, or `materialize` with a partition key) loads that month's waiting files and no
other, and a backfill of several months runs once over the range (single-run policy)."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from dagster_project.assets.ingest import reference_data, upstream_files
from dagster_project.definitions import build_definitions
from dagster_project.partitions import MONTHLY
from dagster_project.resources import Warehouse


def _pending_months(home) -> set[dt.date]:
    import ingest

    return {f.reporting_month for f in ingest.pending_files(home)}


def _loaded_months(home) -> list[dt.date]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return [
            row[0] for row in con.execute("SELECT DISTINCT reporting_month FROM raw.loaded_files ORDER BY 1").fetchall()
        ]


def _with_reference(home) -> None:
    assert dg.materialize([reference_data], resources={"warehouse": Warehouse(home=str(home.home))}).success


def test_a_month_before_any_reference_load_fails_in_one_line_and_keeps_its_files(home):
    waiting = sorted(p.name for p in home.payments_inbox.glob("*.xml"))
    result = dg.materialize(
        [upstream_files],
        partition_key="2025-09-01",
        resources={"warehouse": Warehouse(home=str(home.home))},
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    cause = failure.step_failure_data.user_failure_data.description
    assert cause.startswith("no reference data loaded yet: materialize raw/reference first")
    assert "2025-09" in cause and "\n" not in cause
    # nothing quarantined for an unknown CPAS, nothing retried
    assert sorted(p.name for p in home.payments_inbox.glob("*.xml")) == waiting
    assert not list(home.quarantine.glob("*.xml"))
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


def test_a_month_is_materialized_alone_by_its_partition_key(home):
    _with_reference(home)
    waiting = _pending_months(home)
    september = dt.date(2025, 9, 1)
    assert september in waiting and len(waiting) > 2
    result = dg.materialize(
        [upstream_files], partition_key=september.isoformat(), resources={"warehouse": Warehouse(home=str(home.home))}
    )
    assert result.success
    assert _loaded_months(home) == [september]
    assert _pending_months(home) == waiting - {september}
    [ledger] = [m for m in result.get_asset_materialization_events() if m.asset_key.path[-1] == "ingest_ledger"]
    assert ledger.partition == "2025-09-01"
    assert ledger.materialization.metadata["files_loaded"].value >= 1

    again = dg.materialize(
        [upstream_files], partition_key=september.isoformat(), resources={"warehouse": Warehouse(home=str(home.home))}
    )
    assert again.success  # the month again: nothing waits for it any more, nothing is loaded twice
    [ledger] = [m for m in again.get_asset_materialization_events() if m.asset_key.path[-1] == "ingest_ledger"]
    assert ledger.materialization.metadata["files_loaded"].value == 0


def test_a_backfill_of_months_is_one_run_over_the_range(home):
    _with_reference(home)
    waiting = _pending_months(home)
    october, november = dt.date(2025, 10, 1), dt.date(2025, 11, 1)
    result = dg.materialize(
        [upstream_files],
        # what the UI's backfill launches under the single-run policy: one run, the range in its tags
        tags={"dagster/asset_partition_range_start": "2025-10-01", "dagster/asset_partition_range_end": "2025-11-01"},
        resources={"warehouse": Warehouse(home=str(home.home))},
    )
    assert result.success
    assert _loaded_months(home) == [october, november]
    assert _pending_months(home) == waiting - {october, november}


def test_the_ui_offers_every_month_up_to_the_current_one_and_backfills_in_one_run():
    graph = build_definitions().resolve_asset_graph()
    node = graph.get(dg.AssetKey(["raw", "payment_lines"]))
    assert node.partitions_def == MONTHLY
    assert node.backfill_policy == dg.BackfillPolicy.single_run()
    keys = MONTHLY.get_partition_keys()
    assert keys[0] == "2010-01-01"
    this_month = dt.datetime.now(ZoneInfo("Europe/Brussels")).date().replace(day=1)
    assert keys[-1] == this_month.isoformat()  # rights files land every day: the current month is a partition


def test_a_month_from_the_ui_runs_the_ingest_assets_with_their_checks(home):
    # what the UI's "Materialize" of the three ingest assets launches: the asset job's subset of those assets and
    # the checks that target them (the dbt source tests on the raw tables among them), for one partition
    _with_reference(home)
    defs = build_definitions(home=str(home.home))
    graph = defs.resolve_asset_graph()
    keys = {dg.AssetKey(["raw", name]) for name in ("payment_lines", "right_events", "ingest_ledger")}
    checks = dg.AssetSelection.assets(*keys).resolve_checks(graph)
    assert {c.name for c in checks} >= {"source_not_null_upstream_payment_lines_line_id", "no_file_quarantined"}
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=keys, asset_check_selection=checks)
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(partition_key="2025-12-01", instance=instance, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert _loaded_months(home) == [dt.date(2025, 12, 1)]
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["source_not_null_upstream_payment_lines_line_id"] is True
    assert evaluations["source_not_null_upstream_right_events_event_id"] is True

"""A real refresh reports every dbt test as an asset check (none as an observation with a warning), and ends with
the snapshot's freshness check passing."""

import dagster as dg

from dagster_project.runner import run_refresh
from tests.dagster_project.conftest import R2


def test_a_refresh_reports_dbt_tests_as_checks_and_the_snapshot_fresh(refreshed):
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run_refresh(refreshed, R2, instance=instance)
        assert outcome.success, outcome.failures
        [run] = instance.get_runs()
        events = [e.dagster_event for e in instance.all_logs(run.run_id) if e.dagster_event is not None]
    observations = [e for e in events if e.event_type_value == "ASSET_OBSERVATION"]
    assert observations == [], [e.asset_key.to_user_string() for e in observations]
    evaluations = {
        (e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name): e.event_specific_data
        for e in events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    for expected in [
        ("marts/fct_monthly_amounts", "assert_amount_rows_have_their_lines"),
        ("marts/fct_yearly_amounts", "assert_monthly_sums_equal_yearly"),
        ("intermediate/int_payment_lines_current", "assert_no_current_line_is_replaced"),
        ("intermediate/int_payment_lines_chained", "assert_no_replacement_loop"),
        ("raw/payment_lines", "source_not_null_upstream_payment_lines_line_id"),
        ("raw/right_events", "source_not_null_upstream_right_events_event_id"),
    ]:
        assert evaluations[expected].passed, expected
    fresh = evaluations[("published/snapshot", "published_on_schedule")]
    assert fresh.passed and fresh.description.startswith("Fresh: published at")

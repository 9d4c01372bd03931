"""The extracts in Dagster: partitioned assets whose blocking control check keeps a wrong file from release, the
July schedule and the sensor after a first-Saturday publication (pure functions), and the refresh job leaving
the extracts out."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project.assets.extracts import CONTROL_CHECK, EXTRACT_ASSETS, period_of
from dagster_project.definitions import build_definitions
from dagster_project.jobs import finances_extract_job, refresh_job
from dagster_project.keys import FINANCES_EXTRACT, FINANCES_STAGED, SSH_EXTRACT
from dagster_project.resources import Warehouse
from dagster_project.schedules import FINANCES_CRON, finances_request
from dagster_project.sensors import ssh_request
from kernel.settings import settings as make_settings
from tests.service.extracts import files
from tests.service.extracts.snapshots_for_tests import EXTRACT_GRANT, P1, A, publish, right


def _tables(yearly_amount: str) -> dict:
    return {
        "monthly_amounts": [
            {
                "beneficiary_ssin": A,
                "month": dt.date(2025, m, 1),
                "pcsa_cbe_number": P1,
                "allowance_type": "LIVING_WAGE",
                "household_category": 2,
                "amount": "1000.00",
                "finality_status": "FINAL",
            }
            for m in (1, 2)
        ],
        "yearly_amounts": [
            {
                "beneficiary_ssin": A,
                "year": 2025,
                "pcsa_cbe_number": P1,
                "allowance_type": "LIVING_WAGE",
                "household_category": 2,
                "amount": yearly_amount,
                "finality_status": "FINAL",
            }
        ],
        "authorizations": [EXTRACT_GRANT],
        "rights": [right("a1", A, "2026-05-20", None)],
    }


def _materialize(home, keys, partition: str) -> dg.ExecuteInProcessResult:
    assets = [a for a in EXTRACT_ASSETS if a.key in keys]
    return dg.materialize(
        assets,
        partition_key=partition,
        resources={"warehouse": Warehouse(home=str(home.home))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_the_finances_partition_is_staged_checked_and_released(tmp_path):
    home = make_settings(tmp_path).ensure()
    publish(home.home, _tables("2000.00"))
    result = _materialize(home, {FINANCES_STAGED, FINANCES_EXTRACT}, "2025")
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [(CONTROL_CHECK, True)]
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {FINANCES_STAGED, FINANCES_EXTRACT}
    (released,) = (home.extracts / "out").glob("*/FO.LWEF.*")
    assert files.finances_records(released)[(A, "LIVING_WAGE")][:2] == ("2000.00", 2)


def test_a_failed_control_check_blocks_the_release(tmp_path):
    home = make_settings(tmp_path).ensure()
    publish(home.home, _tables("1999.99"))  # the yearly mart no longer sums its months
    result = _materialize(home, {FINANCES_STAGED, FINANCES_EXTRACT}, "2025")
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == CONTROL_CHECK and not check.passed
    assert "totalAmount LIVING_WAGE 1999.99 != marts 2000.00" in check.metadata["mismatches"].value
    released = {e.asset_key for e in result.get_asset_materialization_events()}
    assert FINANCES_EXTRACT not in released
    assert not (home.extracts / "out").exists()


def test_the_ssh_partition_is_the_month(tmp_path):
    home = make_settings(tmp_path).ensure()
    publish(home.home, _tables("2000.00"))
    result = _materialize(home, {a.key for a in EXTRACT_ASSETS if a.key.path[1].startswith("ssh")}, "2026-06-01")
    assert result.success
    assert SSH_EXTRACT in {e.asset_key for e in result.get_asset_materialization_events()}
    (released,) = (home.extracts / "out").glob("*/FO.LWES.*")
    assert files.statuses(released) == [(A, "LIVING_WAGE", "2026-06-01", "2026-06-30", P1, 2)]
    assert period_of("ssh", "2026-06-01") == "2026-06" and period_of("finances", "2025") == "2025"


def test_the_yearly_schedule_ticks_on_the_first_saturday_of_july_for_the_year_before():
    schedule = next(s for s in build_definitions().schedules if s.cron_schedule == FINANCES_CRON)
    assert schedule.execution_timezone == "Europe/Brussels"
    from dagster._utils.schedules import cron_string_iterator

    ticks = cron_string_iterator(dt.datetime(2026, 1, 1).timestamp(), FINANCES_CRON, "Europe/Brussels")
    days = [next(ticks).date() for _ in range(4)]
    assert days == [dt.date(2026, 7, 4), dt.date(2027, 7, 3), dt.date(2028, 7, 1), dt.date(2029, 7, 7)]
    assert all(d.weekday() == 5 and d.day <= 7 and d.month == 7 for d in days)
    request = finances_request(dt.date(2026, 7, 4))
    assert request.partition_key == "2025"


def test_the_statuses_follow_each_first_saturday_publication_for_the_month_before():
    request = ssh_request(dt.date(2026, 3, 7), "20260307T050000Z-R2026-03-07")
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2026-02-01"
    assert isinstance(ssh_request(dt.date(2026, 3, 10), "x"), dg.SkipReason)  # a refresh on another day
    january = ssh_request(dt.date(2026, 1, 3), "y")
    assert january.partition_key == "2025-12-01"


def test_the_refresh_job_leaves_the_extracts_out():
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    selected = refresh_job.selection.resolve(graph)
    assert selected and not {k for k in selected if k.path[0] == "extracts"}
    assert {FINANCES_STAGED, FINANCES_EXTRACT} == finances_extract_job.selection.resolve(graph)

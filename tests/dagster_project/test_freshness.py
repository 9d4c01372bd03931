"""The published snapshot's freshness: stale once the first Saturday's refresh window (06:00 Brussels + grace) has
passed without a publication; the check says so with its metadata, and the sensor runs it once."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagster_project import freshness
from dagster_project.dates import SCHEDULE_CRON, SCHEDULE_TIMEZONE, is_first_saturday
from dagster_project.freshness import (
    GRACE_ENV,
    evaluate,
    freshness_request,
    next_refresh_window,
    snapshot_freshness,
    snapshot_published_on_schedule,
)
from dagster_project.resources import Warehouse
from kernel import snapshots
from kernel.errors import LwwError

BRUSSELS = ZoneInfo("Europe/Brussels")
SIX_HOURS = dt.timedelta(hours=6)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


def publish(home, published_at: dt.datetime, reference_date: str = "2027-01-02") -> str:
    """A real (tiny) snapshot committed as publication does, with its manifest's publication time."""
    refresh_id = snapshots.new_refresh_id(dt.date.fromisoformat(reference_date), published_at)
    with duckdb.connect(str(snapshots.staging_path(home / "published", refresh_id))) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    manifest = {"reference_date": reference_date, "published_at": published_at.astimezone(dt.UTC).isoformat()}
    snapshots.commit(home / "published", refresh_id, manifest)
    return refresh_id


def test_the_refresh_of_january_is_due_by_noon_on_its_first_saturday():
    published = at("2026-12-05T06:40")  # December's refresh
    state = freshness.freshness(published, at("2027-01-02T11:59"), SIX_HOURS)
    assert (state.stale, state.expected_by) == (False, at("2027-01-02T12:00"))
    assert freshness.freshness(published, at("2027-01-02T12:00"), SIX_HOURS).stale
    # January's refresh at 06:05 makes it fresh until February's window has passed
    january = freshness.freshness(at("2027-01-02T06:05"), at("2027-01-20T00:00"), SIX_HOURS)
    assert (january.stale, january.expected_by) == (False, at("2027-02-06T12:00"))


def test_a_grace_of_a_day_and_a_half_crosses_into_the_next_days():
    state = freshness.freshness(at("2027-01-02T07:00"), at("2027-02-07T17:59"), dt.timedelta(hours=36))
    assert (state.stale, state.expected_by) == (False, at("2027-02-07T18:00"))


def test_nothing_published_is_stale():
    state = freshness.freshness(None, at("2027-01-20T10:00"), SIX_HOURS)
    assert state.stale and state.expected_by == at("2027-01-02T12:00")
    assert "No snapshot is published yet" in state.description()


@given(
    st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2060, 1, 1), timezones=st.just(dt.UTC)),
    st.integers(min_value=0, max_value=72),
    st.integers(min_value=0, max_value=80 * 24 * 3600),
)
def test_fresh_until_the_schedules_next_tick_after_publication_plus_the_grace(published, grace_hours, later_s):
    from dagster._utils.schedules import cron_string_iterator

    grace = dt.timedelta(hours=grace_hours)
    window = next_refresh_window(published)
    # the refresh schedule's own next tick after the publication (Dagster's cron iteration includes its start)
    ticks = cron_string_iterator(published.timestamp(), SCHEDULE_CRON, SCHEDULE_TIMEZONE)
    tick = next(t for t in ticks if t > published)
    assert window == tick and is_first_saturday(window.date())
    now = published + dt.timedelta(seconds=later_s)
    state = freshness.freshness(published, now, grace)
    assert state.expected_by == window + grace
    assert state.stale is (now >= window + grace)


def test_the_check_names_the_last_publication_and_when_the_next_is_expected(tmp_path, monkeypatch):
    monkeypatch.delenv(GRACE_ENV, raising=False)
    warehouse = Warehouse(home=str(tmp_path))
    result = evaluate(warehouse)
    assert not result.passed and result.description.startswith("No snapshot is published yet")

    refresh_id = publish(tmp_path, at("2026-12-05T06:40"), reference_date="2026-12-05")
    stale = evaluate(warehouse, now=at("2027-01-02T12:00"))
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.ERROR
    assert stale.metadata["last_publication"].value == at("2026-12-05T06:40").timestamp()
    assert stale.metadata["expected_by"].value == at("2027-01-02T12:00").timestamp()
    assert stale.metadata["refresh_id"].value == refresh_id
    assert stale.description == (
        "Stale: the last publication was at 2026-12-05 06:40 Brussels; the next was expected by 2027-01-02 12:00 "
        "Brussels."
    )
    monkeypatch.setenv(GRACE_ENV, "8")  # the operators allow two more hours
    later = evaluate(warehouse, now=at("2027-01-02T12:00"))
    assert later.passed and later.metadata["expected_by"].value == at("2027-01-02T14:00").timestamp()
    assert later.metadata["grace_hours"].value == 8


@pytest.mark.parametrize("value", ["six", "-1"])
def test_a_bad_grace_is_refused_naming_the_variable(tmp_path, monkeypatch, value):
    monkeypatch.setenv(GRACE_ENV, value)
    with pytest.raises(LwwError, match=GRACE_ENV):
        evaluate(Warehouse(home=str(tmp_path)))


def test_the_check_runs_in_dagster_on_the_published_snapshot(tmp_path, monkeypatch):
    monkeypatch.delenv(GRACE_ENV, raising=False)
    publish(tmp_path, dt.datetime.now(dt.UTC))  # just published: fresh
    only_the_check = dg.define_asset_job("check", selection=dg.AssetSelection.checks(snapshot_published_on_schedule))
    defs = dg.Definitions(
        asset_checks=[snapshot_published_on_schedule],
        jobs=[only_the_check],
        resources={"warehouse": Warehouse(home=str(tmp_path))},
    )
    result = defs.resolve_job_def("check").execute_in_process()
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed
    assert evaluation.asset_check_key == dg.AssetCheckKey(
        dg.AssetKey(["published", "snapshot"]), "published_on_schedule"
    )
    assert evaluation.metadata["expected_by"].value > dt.datetime.now(dt.UTC).timestamp()


def test_the_sensor_runs_the_check_once_a_missed_refresh_and_not_while_fresh(tmp_path, monkeypatch):
    monkeypatch.delenv(GRACE_ENV, raising=False)
    warehouse = Warehouse(home=str(tmp_path))
    old = publish(tmp_path, at("2026-12-05T06:40"), reference_date="2026-12-05")
    before = freshness_request(warehouse, at("2027-01-02T11:00"))
    assert isinstance(before, dg.SkipReason) and "expected by 2027-01-02 12:00" in before.skip_message
    missed = freshness_request(warehouse, at("2027-01-02T12:05"))
    assert isinstance(missed, dg.RunRequest)
    assert missed.run_key == f"stale-{old}"  # the same key at every tick until a new publication: one run
    assert list(missed.asset_check_keys) == [snapshot_published_on_schedule.check_key]
    assert freshness_request(warehouse, at("2027-01-09T12:05")).run_key == missed.run_key

    publish(tmp_path, dt.datetime.now(dt.UTC))
    with dg.build_sensor_context(resources={"warehouse": warehouse}) as context:
        assert isinstance(snapshot_freshness(context), dg.SkipReason)  # the sensor itself, now: fresh

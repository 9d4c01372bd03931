"""The Consultations page has its own time axis: the days the consultations were made (default the last 30 days
up to today), not the benefit months of the sidebar, which end at the last month paid."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path

import duckdb
from dashboards_fixture import ANALYST, MONTHS
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards.lib import consultations
from dashboards.lib.snapshot import SnapshotRef

_refs = itertools.count()


def metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_a_consultation_made_a_moment_before_shows_by_default(signed_in) -> None:
    at = signed_in(ANALYST)
    # The sidebar's period stays on benefit months, which end months before today; it must not hide them.
    at.select_slider(key="filter_period").set_value((MONTHS[0], MONTHS[-1])).run()
    at.switch_page("app_pages/consultations.py").run()
    assert not at.exception, at.exception
    today = dt.datetime.now(dt.UTC).date()
    assert at.date_input(key="consultation_days").value == (today - dt.timedelta(days=29), today)
    assert metrics(at)["Requests"] == "6"
    assert not at.info, [i.value for i in at.info]


def test_days_without_consultations_say_so(signed_in) -> None:
    at = signed_in(ANALYST)
    at.switch_page("app_pages/consultations.py").run()
    at.date_input(key="consultation_days").set_value((dt.date(2026, 6, 1), dt.date(2026, 6, 30))).run()
    assert not at.exception, at.exception
    assert "No consultation from 1 Jun 2026 to 30 Jun 2026" in at.info[0].value
    # Said once, in words: no tiles of zeros, no empty chart or table under it.
    assert not at.metric and not at.get("arrow_vega_lite_chart")
    assert [list(f.value.columns) for f in at.dataframe if "Outcome" not in f.value.columns] == []  # but sign-ins


def _snapshot(times: list[dt.datetime]) -> SnapshotRef:
    """A snapshot file with only a ``consultations`` table: one answered request at each time."""
    path = Path(tempfile.mkdtemp()) / "snapshot.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE consultations (logged_at TIMESTAMP, cbe_number VARCHAR, institution_name VARCHAR, "
        "operation VARCHAR, status_value VARCHAR, status_code VARCHAR, http_status INTEGER, duration_ms DOUBLE)"
    )
    for time in times:
        con.execute(
            "INSERT INTO consultations VALUES (?, '0411000000', 'CIN', 'getLivingWages', 'DATA_FOUND', "
            "'MSG00000', 200, 1.0)",
            [time],
        )
    con.close()
    return SnapshotRef(f"R{next(_refs)}", str(path), dt.date(2026, 7, 4))


DAY = st.dates(dt.date(2026, 1, 1), dt.date(2026, 3, 31))


@settings(max_examples=40, deadline=None)
@given(
    times=st.lists(st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 3, 31, 23, 59, 59)), max_size=30),
    bounds=st.tuples(DAY, DAY).map(sorted),
)
def test_the_days_include_both_ends_whole(times: list[dt.datetime], bounds: list[dt.date]) -> None:
    days = (bounds[0], bounds[1])
    ref = _snapshot(times)
    expected = sum(days[0] <= t.date() <= days[1] for t in times)
    per_institution = consultations.per_institution(ref, days, None)
    assert int(per_institution["requests"].sum()) == expected
    assert int(consultations.daily(ref, days, None)["requests"].sum()) == expected


def test_the_default_is_the_last_30_days_up_to_today() -> None:
    first, last = consultations.default_days(dt.date(2026, 3, 1))
    assert (first, last) == (dt.date(2026, 1, 31), dt.date(2026, 3, 1))
    assert (last - first).days + 1 == consultations.DEFAULT_DAYS

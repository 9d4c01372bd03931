"""Rights events out of order, from the upstream files to the folded rights (DOMAIN "Rights: binding details"):
a MODIFY delivered before its right's CREATE is loaded and waits; the right appears only once its CREATE is
loaded and registered on or before R, also when the build that sees it is incremental."""

from __future__ import annotations

import datetime as dt

import duckdb

from ingest import ingest_inbox, load_reference
from tests.dbt.warehouse import query, run_dbt
from tests.ingest.ingest_builders import drop, event, rights_xml, write_pcsa


def _ingest(home, name: str, text: str) -> list[str]:
    drop(home.rights_inbox, name, text)
    with duckdb.connect(str(home.warehouse)) as connection:
        return [o.status for o in ingest_inbox(connection, home, workers=1).outcomes]


def _rights(home) -> list[tuple]:
    return query(home.warehouse, "SELECT right_id, household_category, end_date, status FROM marts.fct_rights")


def test_a_right_waits_for_its_create_through_incremental_builds(home, tmp_path):
    write_pcsa(home.reference)
    with duckdb.connect(str(home.warehouse)) as connection:
        load_reference(connection, home)
    # the MODIFY comes first (an earlier file), registered 2026-06-10
    modify = event(
        "E2",
        sequence="2",
        eventType="MODIFY",
        householdCategory="3",
        endDate="2026-09-30",
        registrationDate="2026-06-10",
    )
    modify.update(applicationDate="2026-06-01", decisionDate="2026-06-05")
    assert _ingest(home, "a.xml", rights_xml([modify], "RIG-A", "2026-06-11T02:00:00Z")) == ["loaded"]
    work = tmp_path / "dbt"
    work.mkdir()
    run_dbt(home.warehouse, work, "2026-06-13")
    assert _rights(home) == []  # no CREATE: the right does not exist
    assert query(home.warehouse, "SELECT event_id FROM marts.fct_right_events") == [("E2",)]
    # its CREATE arrives later, registered after that R (and before the next)
    create = event("E1", registrationDate="2026-06-20", applicationDate="2026-05-01", decisionDate="2026-05-20")
    assert _ingest(home, "b.xml", rights_xml([create], "RIG-B", "2026-06-21T02:00:00Z")) == ["loaded"]
    run_dbt(home.warehouse, work, "2026-07-04")
    assert query(home.warehouse, "SELECT is_full FROM intermediate.int_refresh_plan") == [(False,)]
    assert _rights(home) == [("R1", 3, dt.date(2026, 9, 30), "ACTIVE")]

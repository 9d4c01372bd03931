"""The due notifications through the pipeline (ingest → dbt build → publish) on simulated data: the simulator's
subscriptions and LivingWagesNotifications authorisations make notifications due when right events arrive after the
first refresh, and none for the history the first refresh loads. The published rows are checked against an
independent reading of the two snapshots (CONTRACT §6)."""

import shutil

from dagster_project.runner import run_refresh
from kernel import snapshots
from tests.dagster_project.conftest import R1, R2, table_rows

HELD_BACK = "RIG-2026-02-001.xml"  # the last month's right events, arriving after the first refresh
DUE = "SELECT ticket_cbss, event_id, recipient_cbe_number, due_reference_date FROM due_notifications ORDER BY ALL"
# the events a snapshot makes notifiable: applied (not after a CANCEL) events of rights that exist (a visible CREATE)
NOTIFIABLE = """
    SELECT event_id FROM right_events WHERE NOT is_after_cancel AND right_id IN (SELECT right_id FROM rights)
"""
# for each event, the institutions authorised on its registration date, subscribed, following the person over a
# period overlapping the right's (for a CANCEL: the state it cancels, the latest CREATE/MODIFY before it)
RECIPIENTS = """
    WITH events AS (
        SELECT e.event_id, e.ssin, e.registration_date, s.begin_date, s.end_date
        FROM right_events AS e
        JOIN right_events AS s ON s.right_id = e.right_id AND s.sequence = (
            SELECT max(sequence) FROM right_events AS t
            WHERE t.right_id = e.right_id AND t.sequence <= e.sequence AND t.event_type <> 'CANCEL'
        )
        WHERE e.event_id IN ({events})
    )
    SELECT DISTINCT events.event_id, i.cbe_number
    FROM events
    JOIN integrations AS i ON i.ssin = events.ssin AND i.begin_date <= coalesce(events.end_date, DATE '9999-12-31')
        AND coalesce(i.end_date, DATE '9999-12-31') >= events.begin_date
    JOIN subscriptions AS s ON s.cbe_number = i.cbe_number
    JOIN authorizations AS a ON a.cbe_number = i.cbe_number AND a.operation = 'LivingWagesNotifications:*'
        AND a.valid_from <= events.registration_date
        AND (a.valid_to IS NULL OR a.valid_to >= events.registration_date)
"""


def test_events_arriving_after_the_first_refresh_are_due_and_its_history_is_not(home):
    held = home.home / "held-back"
    held.mkdir()
    shutil.move(home.rights_inbox / HELD_BACK, held / HELD_BACK)
    first = run_refresh(home, R1)
    assert first.success, first.failures
    assert table_rows(first.published.path, DUE) == []
    seen_first = {row[0] for row in table_rows(first.published.path, NOTIFIABLE)}
    assert seen_first, "the first refresh loaded no right"
    # the record holds the whole history, notified to nobody
    record = table_rows(
        home.warehouse,
        "SELECT count(DISTINCT event_id), bool_and(is_initial_load), count(recipient_cbe_number) "
        "FROM intermediate.int_right_event_recipients",
    )
    assert record == [(len(seen_first), True, 0)]

    shutil.move(held / HELD_BACK, home.rights_inbox / HELD_BACK)
    second = run_refresh(home, R2)
    assert second.success, second.failures
    snapshot = snapshots.current(home.published)
    due = table_rows(snapshot.path, DUE)
    notifiable = {row[0] for row in table_rows(snapshot.path, NOTIFIABLE)}
    new = sorted(notifiable - seen_first)
    assert new, "the held-back file made no event visible"
    events = ", ".join(f"'{event}'" for event in new)
    expected = sorted(table_rows(snapshot.path, RECIPIENTS.format(events=events)))
    assert expected, "no subscriber follows the people of the new events: the scenario tests nothing"
    assert sorted((event, recipient) for _, event, recipient, _ in due) == expected
    assert {row[3] for row in due} == {R2}
    assert len({row[0] for row in due}) == len(due)
    # the attestation travels with every row; the subscriber's choice says whether the notifier sends it
    with_attestation = table_rows(
        snapshot.path,
        "SELECT DISTINCT d.recipient_cbe_number, d.with_attestation, s.with_attestation, d.endpoint_url = "
        "s.endpoint_url FROM due_notifications AS d JOIN subscriptions AS s ON s.cbe_number = d.recipient_cbe_number",
    )
    assert all(row[1] == row[2] and row[3] for row in with_attestation)
    assert snapshot.manifest["row_counts"]["due_notifications"] == len(due)

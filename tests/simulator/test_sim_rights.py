"""DOMAIN rules of the right events, and the lifecycle cases they must exercise."""

from __future__ import annotations

import collections
import datetime as dt

from kernel.identifiers import is_valid_cbe, is_valid_ssin


def _by_right(events: list[dict]) -> dict[str, list[dict]]:
    rights = collections.defaultdict(list)
    for event in events:
        rights[event["right_id"]].append(event)
    return {key: sorted(value, key=lambda e: e["sequence"]) for key, value in rights.items()}


def test_every_event_is_well_formed(small_run) -> None:
    ids = [event["event_id"] for event in small_run.events]
    assert len(ids) == len(set(ids))
    for event in small_run.events:
        assert event["application_date"] <= event["decision_date"] <= event["registration_date"]
        assert event["end_date"] is None or event["end_date"] >= event["begin_date"]
        assert is_valid_ssin(event["ssin"]) and is_valid_cbe(event["pcsa_cbe_number"])
        assert event["category"] in ("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE")


def test_sequences_are_contiguous_and_keep_person_and_cpas(small_run) -> None:
    for events in _by_right(small_run.events).values():
        assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
        assert events[0]["event_type"] == "CREATE"
        assert all(e["event_type"] != "CREATE" for e in events[1:])
        assert len({(e["ssin"], e["pcsa_cbe_number"], e["category"]) for e in events}) == 1
        registrations = [e["registration_date"] for e in events]
        assert registrations == sorted(registrations) and len(set(registrations)) == len(registrations)
        if any(e["event_type"] == "CANCEL" for e in events):
            assert events[-1]["event_type"] == "CANCEL"  # nothing after a cancellation
            assert len(events) == 2


def test_events_are_in_the_file_of_their_registration_month(small_run) -> None:
    """Each file holds its month's registrations; the first also the rights registered before the window."""
    first_file = "RIG-2024-01-001"
    for event in small_run.events:
        if event["file_id"] == first_file:
            assert event["registration_date"] < dt.date(2024, 2, 1)
        else:
            assert event["file_id"].startswith(f"RIG-{event['registration_date']:%Y-%m}-"), event
    assert any(e["registration_date"] < dt.date(2024, 1, 1) for e in small_run.events)


def test_the_lifecycle_cases_are_all_exercised(small_run) -> None:
    events = small_run.events
    kinds = collections.Counter(e["event_type"] for e in events)
    assert kinds["CREATE"] > 100 and kinds["MODIFY"] > 50 and kinds["CANCEL"] > 0
    late_decisions = [e for e in events if (e["decision_date"] - e["application_date"]).days > 30]
    late_registrations = [e for e in events if (e["registration_date"] - e["decision_date"]).days > 7]
    assert late_decisions and late_registrations
    assert len(late_decisions) < 0.15 * len(events) and len(late_registrations) < 0.15 * len(events)
    assert any(not e["subsidy_requested"] for e in events)
    assert {e["category"] for e in events} == {"LIVING_WAGE", "EQUIVALENT_LIVING_WAGE"}
    modified_category = [r for r in _by_right(events).values() if len({e["household_category"] for e in r}) > 1]
    ended = [r for r in _by_right(events).values() if r[0]["end_date"] is None and r[-1]["end_date"] is not None]
    assert modified_category and ended
    assert any(e["end_date"] is None for e in events) and any(
        e["event_type"] == "CREATE" and e["end_date"] is not None for e in events
    )


def test_rights_without_subsidy_have_no_payment_lines(small_run) -> None:
    unpaid = {
        (e["ssin"], e["pcsa_cbe_number"])
        for e in small_run.events
        if not e["subsidy_requested"] and e["begin_date"] >= dt.date(2023, 12, 1)
    }
    paid = {(line["ssin"], line["pcsa_cbe_number"]) for line in small_run.lines}
    assert unpaid and not (unpaid & paid)

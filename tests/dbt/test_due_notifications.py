"""The due notifications (CONTRACT §6) through real dbt builds of a tiny warehouse, refresh after refresh: the first
build notifies nothing of its history; a later one makes due the events that became visible since, to the
authorised, subscribed institutions that follow the person; a MODIFY waiting for its CREATE is due with it; a rerun
or --full-refresh adds nothing and keeps the tickets; the published view holds the window before R only. The
conditions one by one are dbt unit tests (models/intermediate/notifications/_notifications__models.yml)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest

from tests.dbt.warehouse import create_warehouse, published_copy_errors, query, right_event, run_dbt

S1, S2 = "85010110001", "85010110002"
PCSA = "0212345678"
PLAIN, ATTEST, UNSUBSCRIBED, EXPIRED = "0400000101", "0400000202", "0400000303", "0400000404"
NOTIFY = "LivingWagesNotifications:*"
DUE = (
    "SELECT event_id, recipient_cbe_number, ticket_cbss, due_reference_date, with_attestation, attestation_status "
    "FROM marts.fct_due_notifications ORDER BY ALL"
)
RECORD = "SELECT * FROM intermediate.int_right_event_recipients ORDER BY ALL"


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def ticket(event_id: str, recipient: str) -> str:
    """ticketCBSS as the contract derives it: md5(event_id|recipient) laid out as a version-3 UUID."""
    digest = bytearray(hashlib.md5(f"{event_id}|{recipient}".encode()).digest())
    digest[6] = (digest[6] & 0x0F) | 0x30
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


def _event(event_id: str, right_id: str, sequence: int, event_type: str, registered: str, **kw) -> dict:
    kw.setdefault("ssin", S1)
    return right_event(
        event_id, right_id, sequence, event_type, registered, pcsa_cbe_number=PCSA, file_id=f"F-{event_id}", **kw
    )


def _reference() -> dict[str, list[dict]]:
    authorised = [PLAIN, ATTEST, UNSUBSCRIBED]
    return {
        "ref_authorizations": [
            *(
                {"cbe_number": cbe, "operation": NOTIFY, "legal_context": "NOTIFY", "valid_from": _d("2020-01-01")}
                for cbe in authorised
            ),
            {
                "cbe_number": EXPIRED,
                "operation": NOTIFY,
                "legal_context": "NOTIFY",
                "valid_from": _d("2020-01-01"),
                "valid_to": _d("2026-01-31"),
            },
        ],
        "ref_subscriptions": [
            {"cbe_number": PLAIN, "with_attestation": False, "endpoint_url": "http://127.0.0.1:1/plain"},
            {"cbe_number": ATTEST, "with_attestation": True, "endpoint_url": "http://127.0.0.1:1/attest"},
            {"cbe_number": EXPIRED, "with_attestation": False, "endpoint_url": "http://127.0.0.1:1/expired"},
        ],
        "ref_integrations": [
            {"cbe_number": cbe, "ssin": S1, "quality_code": "001", "begin_date": _d("2020-01-01")}
            for cbe in (PLAIN, ATTEST, UNSUBSCRIBED, EXPIRED)
        ],
    }


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Four refreshes of one warehouse, what each left in the published view, and the record after each."""
    work = tmp_path_factory.mktemp("due_notifications")
    warehouse = work / "warehouse.duckdb"
    seen: dict = {}
    # R1: the history, a right of S1 created in February
    create_warehouse(warehouse, {"right_events": [_event("E1", "R1", 1, "CREATE", "2026-02-10")], **_reference()})
    run_dbt(warehouse, work, "2026-03-07", "run")
    seen["r1"] = query(warehouse, DUE), query(warehouse, RECORD)
    # R2: a MODIFY and a new right of S1, a MODIFY waiting for its CREATE, an event registered after R2, a right
    # of a person nobody follows
    create_warehouse(
        warehouse,
        {
            "right_events": [
                _event("E2", "R1", 2, "MODIFY", "2026-03-20", household_category=3, end_date=_d("2026-06-30")),
                _event("E3", "R2", 1, "CREATE", "2026-03-25", begin_date=_d("2026-03-01")),
                _event("W2", "R3", 2, "MODIFY", "2026-03-15", household_category=1),
                _event("E4", "R1", 3, "CANCEL", "2026-04-20"),
                _event("N1", "R4", 1, "CREATE", "2026-03-25", ssin=S2),
            ]
        },
    )
    run_dbt(warehouse, work, "2026-04-04", "build")
    seen["r2"] = query(warehouse, DUE), query(warehouse, RECORD)
    seen["r2_contract"] = published_copy_errors(warehouse)
    # the same R again, then in full: nothing more is due, nothing is due again
    run_dbt(warehouse, work, "2026-04-04", "run")
    seen["r2_again"] = query(warehouse, DUE), query(warehouse, RECORD)
    run_dbt(warehouse, work, "2026-04-04", "run", extra=("--full-refresh",))
    seen["r2_full"] = query(warehouse, DUE), query(warehouse, RECORD)
    # R3: the CREATE of R3 arrives in a late file (registered before its MODIFY)
    create_warehouse(warehouse, {"right_events": [_event("W1", "R3", 1, "CREATE", "2026-03-01")]})
    run_dbt(warehouse, work, "2026-05-02", "run")
    seen["r3"] = query(warehouse, DUE), query(warehouse, RECORD)
    # R4: 91 days after R2, 63 after R3: the view publishes R3's notifications only
    run_dbt(warehouse, work, "2026-07-04", "run")
    seen["r4"] = query(warehouse, DUE), query(warehouse, RECORD)
    return seen


def _due(event_id: str, recipient: str, due: str, status: int) -> tuple:
    return (event_id, recipient, ticket(event_id, recipient), _d(due), recipient == ATTEST, status)


def test_the_first_build_records_its_history_and_notifies_nothing(refreshes: dict) -> None:
    due, record = refreshes["r1"]
    assert due == []
    assert [(row[0], row[13], row[14], row[15]) for row in record] == [("E1", _d("2026-03-07"), True, None)]


def test_events_visible_since_are_due_to_authorised_subscribed_followers(refreshes: dict) -> None:
    due, _ = refreshes["r2"]
    # not UNSUBSCRIBED (not subscribed), not EXPIRED (authorisation ended before the registration date); not W2
    # (its CREATE is not visible), not E4 (registered after R), not N1 (nobody follows S2)
    assert due == sorted(
        [
            _due("E2", PLAIN, "2026-04-04", 1),
            _due("E2", ATTEST, "2026-04-04", 1),
            _due("E3", PLAIN, "2026-04-04", 0),
            _due("E3", ATTEST, "2026-04-04", 0),
        ]
    )
    assert refreshes["r2_contract"] == []


def test_tickets_are_uuids_derived_from_event_and_recipient(refreshes: dict) -> None:
    due, _ = refreshes["r2"]
    for event_id, recipient, ticket_cbss, *_ in due:
        parsed = uuid.UUID(ticket_cbss)
        assert (str(parsed), parsed.version, parsed.variant) == (ticket_cbss, 3, uuid.RFC_4122)
        assert ticket_cbss == ticket(event_id, recipient)


def test_a_rerun_or_a_full_refresh_adds_nothing(refreshes: dict) -> None:
    assert refreshes["r2_again"] == refreshes["r2"]
    assert refreshes["r2_full"] == refreshes["r2"]


def test_a_waiting_modify_is_due_with_its_create_and_the_window_ages_out(refreshes: dict) -> None:
    due, record = refreshes["r3"]
    new = [row for row in due if row[3] == _d("2026-05-02")]
    assert new == sorted(
        _due(event, recipient, "2026-05-02", status)
        for event, status in (("W1", 0), ("W2", 1), ("E4", 3))
        for recipient in (PLAIN, ATTEST)
    )
    assert len(due) == 10  # R2's four still published
    due_r4, record_r4 = refreshes["r4"]
    assert due_r4 == new
    assert record_r4 == record  # kept whole in the warehouse
    events = [row[0] for row in record_r4]
    assert sorted(set(events)) == ["E1", "E2", "E3", "E4", "N1", "W1", "W2"]
    # each event recorded once per recipient, or once with none
    assert len(events) == 1 + 2 + 2 + 2 + 1 + 2 + 2


@pytest.mark.parametrize("window", ["ninety", "0", "-5"])
def test_a_window_that_is_no_number_of_days_stops_the_build_saying_so(tmp_path, monkeypatch, window: str) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    create_warehouse(warehouse, {})
    monkeypatch.setenv("LWW_NOTIFY_WINDOW_DAYS", window)
    with pytest.raises(AssertionError, match=f"LWW_NOTIFY_WINDOW_DAYS is {window}: a whole number of days"):
        run_dbt(warehouse, tmp_path, "2026-04-04", "compile", "fct_due_notifications")

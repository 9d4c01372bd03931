"""Delivery end to end: the real notifier process (``lww notify``) against the real reference subscriber
(``lww subscriber``) on a loopback port, over snapshots that publish ``due_notifications``."""

from __future__ import annotations

import os
import signal
import time
from collections import defaultdict

from kernel import delivery_state
from service.notifications import store
from tests.service.notifications.notify_fixture import (
    RunningSubscriber,
    due_rows,
    free_port,
    notify,
    publish_due,
    start_notify,
)


def arrival_order(path) -> dict[tuple[str, str], list[int]]:
    """Per (recipient, right): the sequences of the tickets in the order of their first receipt."""
    import json

    seen: set[str] = set()
    order: dict[tuple[str, str], list[int]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            receipt = json.loads(line)
            if receipt["ticketCBSS"] in seen:
                continue
            seen.add(receipt["ticketCBSS"])
            order[(receipt["cbeNumber"], receipt["rightId"])].append(receipt["sequence"])
    return order


def state_counts(home) -> dict[str, int]:
    with delivery_state.open_read_only(home / "notifications") as connection:
        return dict(connection.execute("SELECT state, count(*) FROM notifications GROUP BY state").fetchall())


def test_ok_delivers_each_once_in_order_with_the_attestation_only_to_its_subscribers(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    rows = due_rows(
        f"http://127.0.0.1:{port}",
        rights=40,
        events=3,
        recipients=("0200000001", "0200000002"),
        attestation=("0200000002",),
    )
    publish_due(home / "published", rows)
    with RunningSubscriber(home, port) as subscriber:
        done = notify(home)
        assert done.returncode == 0, done.stderr
        assert "delivered 240" in done.stdout
        received = subscriber.received()
        again = notify(home)  # nothing left: the same snapshot is not imported again
        assert again.returncode == 0 and "delivered 0" in again.stdout
        assert subscriber.received() == received
    assert set(received) == {row["ticket_cbss"] for row in rows}
    assert all(len(receipts) == 1 for receipts in received.values())
    for row in rows:
        receipt = received[row["ticket_cbss"]][0]
        assert receipt["path"] == f"/notifications/{row['recipient_cbe_number']}"
        assert (receipt["cbeNumber"], receipt["rightId"], receipt["sequence"], receipt["ssin"]) == (
            row["recipient_cbe_number"],
            row["right_id"],
            row["sequence"],
            row["ssin"],
        )
        if row["with_attestation"]:
            assert receipt["attestation"]["attestationStatus"] == str(row["attestation_status"])
            assert receipt["attestation"]["beginDate"] == row["begin_date"].isoformat()
        else:
            assert receipt["attestation"] is None
    for sequences in arrival_order(subscriber.receipts).values():
        assert sequences == [1, 2, 3]
    assert state_counts(home) == {"delivered": 240}

    status = notify(home, "--status")
    lines = status.stdout.splitlines()
    assert lines[0].split()[:6] == ["subscriber", "pending", "late", "retrying", "delivered", "parked"]
    assert [line.split()[:6] for line in lines[1:]] == [
        ["0200000001", "0", "0", "0", "120", "0"],
        ["0200000002", "0", "0", "0", "120", "0"],
    ]


def test_nok_is_retried_then_delivered_once_ok_with_every_attempt_recorded(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    rows = due_rows(f"http://127.0.0.1:{port}", rights=5, events=2)
    publish_due(home / "published", rows)
    # NOK: retried (backoff 0.05 s) until the run gives up waiting; nothing parked before 12 attempts
    with RunningSubscriber(home, port, answer="NOK") as subscriber:
        first = notify(home, env={"LWW_NOTIFY_LINGER_SECONDS": "0.3", "LWW_NOTIFY_MAX_ATTEMPTS": "50"})
        assert first.returncode == 0, first.stderr
        assert "delivered 0" in first.stdout and "NOK" in first.stdout
        nok = subscriber.received()
    assert set(nok) == {row["ticket_cbss"] for row in rows if row["sequence"] == 1}  # the 2nd events wait
    assert all(r["answer"] == "NOK" for receipts in nok.values() for r in receipts)
    assert any(len(receipts) > 1 for receipts in nok.values())
    status = notify(home, "--status").stdout.splitlines()[1].split()
    assert status[:6] == ["0200000001", "10", "0", "5", "0", "0"]

    with RunningSubscriber(home, port, answer="OK") as subscriber:
        second = notify(home)
        assert second.returncode == 0, second.stderr
        assert "delivered 10" in second.stdout
        received = subscriber.received()
    assert set(received) == {row["ticket_cbss"] for row in rows}
    for receipts in received.values():  # every duplicate carries the same ticket; the last answer is OK
        assert receipts[-1]["answer"] == "OK"
        assert len({(r["rightId"], r["sequence"]) for r in receipts}) == 1
    for sequences in arrival_order(subscriber.receipts).values():
        assert sequences == [1, 2]
    with delivery_state.open_read_only(home / "notifications") as connection:
        ticket = rows[0]["ticket_cbss"]
        attempts = delivery_state.attempts_of(connection, ticket)
    assert [a["outcome"] for a in attempts][-1] == "OK"
    assert {a["outcome"] for a in attempts[:-1]} == {"NOK"}
    assert all(a["http_status"] == 200 and a["duration_ms"] > 0 and a["answer"] for a in attempts)
    assert len(attempts) == len(nok[ticket]) + 1


def test_a_subscriber_down_then_up(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    rows = due_rows(f"http://127.0.0.1:{port}", rights=6, events=1)
    publish_due(home / "published", rows)
    down = notify(home, env={"LWW_NOTIFY_LINGER_SECONDS": "0.2"})  # nothing listens on the port
    assert down.returncode == 0 and "REFUSED" in down.stdout
    assert state_counts(home) == {"pending": 6}
    with delivery_state.open_read_only(home / "notifications") as connection:
        errors = {a["error"] for a in delivery_state.attempts_of(connection, rows[0]["ticket_cbss"])}
    assert all("refused" in error for error in errors)

    follower = start_notify(home, "--follow")  # keeps retrying; the subscriber comes up meanwhile
    try:
        time.sleep(0.5)
        with RunningSubscriber(home, port) as subscriber:
            deadline = time.monotonic() + 30
            while len(subscriber.received()) < 6 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.3)
            received = subscriber.received()
    finally:
        os.kill(follower.pid, signal.SIGTERM)
        _, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert set(received) == {row["ticket_cbss"] for row in rows}
    assert state_counts(home) == {"delivered": 6}


def test_a_slow_subscriber_past_the_timeout_is_parked_then_sent_again_with_the_same_ticket(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    rows = due_rows(f"http://127.0.0.1:{port}", rights=3, events=1)
    publish_due(home / "published", rows)
    env = {"LWW_NOTIFY_MAX_ATTEMPTS": "2", "LWW_NOTIFY_READ_TIMEOUT": "0.5"}
    with RunningSubscriber(home, port, answer="SLOW", slow_seconds=5) as subscriber:
        slow = notify(home, env=env)
        assert slow.returncode == 0, slow.stderr
        assert "TIMEOUT 6" in slow.stdout and "parked 3" in slow.stdout
        assert {t: len(r) for t, r in subscriber.received().items()} == {row["ticket_cbss"]: 2 for row in rows}
    status = notify(home, "--status").stdout
    assert status.splitlines()[1].split()[:6] == ["0200000001", "0", "0", "0", "0", "3"]
    assert (
        sum(line.startswith("parked ") for line in status.splitlines()) == 3
        and "TIMEOUT no answer within 0.5 s" in status
    )

    with RunningSubscriber(home, port) as subscriber:
        nothing = notify(home, env=env)  # parked ones wait for an operator
        assert "delivered 0" in nothing.stdout
        retried = notify(home, "--retry-parked", env=env)
        assert retried.returncode == 0, retried.stderr
        assert "3 parked notifications queued again" in retried.stdout and "delivered 3" in retried.stdout
        received = subscriber.received()
    assert {t: len(r) for t, r in received.items()} == {row["ticket_cbss"]: 3 for row in rows}
    assert state_counts(home) == {"delivered": 3}


def test_a_notifier_killed_mid_run_and_restarted_delivers_everything_once_by_ticket(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    rows = due_rows(f"http://127.0.0.1:{port}", rights=1500, events=3, recipients=("0200000001", "0200000002"))
    publish_due(home / "published", rows)
    with RunningSubscriber(home, port) as subscriber:
        first = start_notify(home)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if subscriber.receipts.exists() and subscriber.receipts.stat().st_size > 2000 * 300:
                break
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)  # by its pid, mid-run
        first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL
        before = subscriber.received()
        assert 0 < len(before) < len(rows)
        second = notify(home)
        assert second.returncode == 0, second.stderr
        received = subscriber.received()
    assert set(received) == {row["ticket_cbss"] for row in rows}
    duplicates = {t for t, r in received.items() if len(r) > 1}
    assert duplicates <= set(before)  # only what the first run sent may come twice (its OK not yet committed)
    for sequences in arrival_order(subscriber.receipts).values():
        assert sequences == [1, 2, 3]
    assert state_counts(home) == {"delivered": len(rows)}


def test_overlapping_snapshots_import_by_ticket_and_a_second_notifier_is_refused(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first_rows = due_rows(url, rights=10)
    publish_due(home / "published", first_rows)
    with RunningSubscriber(home, port) as subscriber:
        assert "delivered 10" in notify(home).stdout
        # the next publication still holds the first rows (its window) and adds new ones
        publish_due(home / "published", first_rows + due_rows(url, rights=4, first=10))
        later = notify(home)
        assert "10 due notifications" not in later.stdout and "14 due notifications, 4 new" in later.stdout
        assert "delivered 4" in later.stdout
        received = subscriber.received()
    assert len(received) == 14 and all(len(r) == 1 for r in received.values())

    with store.notifier_lock(home / "notifications"):
        refused = notify(home)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"lww notify: another notifier (pid {os.getpid()}) is delivering from {home / 'notifications'}"
    )


def test_a_subscriber_that_fixes_its_endpoint_gets_what_waits_there(tmp_path):
    home = tmp_path / "home"
    wrong, right = free_port(), free_port()
    rows = due_rows(f"http://127.0.0.1:{wrong}", rights=4)
    publish_due(home / "published", rows)
    assert "REFUSED" in notify(home, env={"LWW_NOTIFY_LINGER_SECONDS": "0"}).stdout
    subscription = [("0200000001", f"http://127.0.0.1:{right}/fixed", True)]
    publish_due(home / "published", rows, subscriptions=subscription)  # the next refresh: the row was fixed
    with RunningSubscriber(home, right) as subscriber:
        done = notify(home)
        received = subscriber.received()
    assert "4 notifications not yet delivered follow" in done.stdout and "delivered 4" in done.stdout
    assert set(received) == {row["ticket_cbss"] for row in rows}
    assert {(r[0]["path"], r[0]["attestation"] is not None) for r in received.values()} == {("/fixed", True)}

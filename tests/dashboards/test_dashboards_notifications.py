"""The operators' view of notifications: pending, late and parked per subscriber, read from the notifier's store
while it could be writing; for SPP IS analysts only."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST, CIN, INAMI, PARTNER_ANALYST

from service.notifications import store

PAGE = "app_pages/notifications.py"


def row(ticket: str, recipient: str, right: str, sequence: int) -> tuple:
    return (ticket, "2026-07-04", recipient, f"http://127.0.0.1:1/{recipient}", 0, f"E{ticket}", right, sequence,
            "CREATE", "2026-07-01", "85073100123", 0, "0212345678", "LIVING_WAGE", 2, "2026-06-01", None,
            "2026-06-20")  # fmt: skip


def fill(home: Path) -> None:
    """CIN: 1 delivered, 1 parked, 2 pending of which 1 late; INAMI: 1 pending, not late."""
    writer = store.Store(home / "notifications")
    rows = [row("t1", CIN, "R1", 1), row("t2", CIN, "R2", 1), row("t3", CIN, "R3", 1), row("t4", CIN, "R4", 1)]
    writer.import_rows("S1", iter([rows]))
    writer.import_rows("S2", iter([[row("t5", INAMI, "R5", 1)]]))
    writer.db.execute("UPDATE notifications SET imported_at = ? WHERE ticket = 't3'", (time.time() - 7200,))
    ok = store.Result("t1", time.time(), 3.0, 200, "OK", "OK MSG00000")
    nok = store.Result("t2", time.time(), 3.0, 200, "NOK", "NOK MSG00001", "the subscriber answered NOK")
    writer.record([ok, nok], max_attempts=1, backoff=lambda tries: 60.0)
    writer.close()


def test_analysts_see_pending_late_and_parked_per_subscriber(signed_in, home: Path) -> None:
    at = signed_in(ANALYST)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "No notifier has run yet" in at.info[0].value
    fill(home)
    at.switch_page(PAGE).run()
    assert not at.exception
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown == {"Pending": "3", "Late": "1", "Parked": "1", "Delivered": "1"}
    frames = {tuple(frame.value.columns[:2]): frame.value for frame in at.dataframe}
    subscribers = frames[("Subscriber", "CBE number")].set_index("CBE number")
    assert subscribers.loc[CIN, ["Subscriber", "Pending", "Late", "Parked", "Delivered"]].tolist() == [
        "CIN",
        2,
        1,
        1,
        1,
    ]
    assert subscribers.loc[INAMI, ["Pending", "Late", "Parked", "Delivered"]].tolist() == [1, 0, 0, 0]
    parked = frames[("Ticket", "Recipient")]
    assert parked["Ticket"].tolist() == ["t2"] and parked["Last outcome"].tolist() == ["NOK"]
    # Each table with its widest columns in an expander under it (a table of its own, with its own download).
    assert len(at.download_button) == len(at.dataframe) == 4
    assert [e.label.startswith("All columns") for e in at.expander] == [True, True]


def test_partner_analysts_have_no_notifications_page(signed_in, home: Path) -> None:
    fill(home)
    at = signed_in(PARTNER_ANALYST)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)

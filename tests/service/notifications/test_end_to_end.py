"""Notifications from the simulated upstream to the reference subscriber: ``lww refresh`` computes and publishes
what is due, ``lww notify`` delivers it (CONTRACT §6), all as real processes.

The first refresh loads the history and notifies nothing; the last month's right events arrive after it, and the
second refresh makes them due. Two subscribed institutions must receive nothing: one has lost its
``LivingWagesNotifications:*`` authorisation, the other follows nobody (its dossier repertory is emptied)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess

import duckdb

from kernel.settings import settings
from simulator import SimulationConfig, simulate
from tests.service.notifications.notify_fixture import PROJECT, RunningSubscriber, free_port, lww, notify

R1, R2 = dt.date(2026, 3, 7), dt.date(2026, 4, 4)
HELD_BACK = "RIG-2026-02-001.xml"
UNAUTHORISED, NOT_INTEGRATED = "inasti", "iriscare"


def rewrite(path, keep) -> list[dict]:
    """Keep the rows of a reference CSV for which ``keep(row)`` is true; returns the rows dropped."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row for row in rows if keep(row))
    return [row for row in rows if not keep(row)]


def refresh(home, as_of: dt.date) -> None:
    done = subprocess.run(
        lww(home.home, "refresh", "--as-of", as_of.isoformat()), capture_output=True, text=True, cwd=PROJECT
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_refresh_makes_notifications_due_and_the_notifier_delivers_exactly_them(tmp_path):
    home = settings(tmp_path / "home").ensure()
    simulate(
        SimulationConfig(seed=11, pcsa=3, people=25, first_month=dt.date(2025, 7, 1), last_month=dt.date(2026, 2, 1)),
        home,
    )
    port = free_port()
    subscriptions = home.reference / "subscriptions.csv"
    subscriptions.write_text(subscriptions.read_text().replace("127.0.0.1:18090", f"127.0.0.1:{port}"))
    cbe = {row["endpoint_url"].rsplit("/", 1)[-1]: row["cbe_number"] for row in csv.DictReader(subscriptions.open())}
    rewrite(
        home.reference / "authorizations.csv",
        lambda row: not (row["cbe_number"] == cbe[UNAUTHORISED] and row["operation"] == "LivingWagesNotifications:*"),
    )
    followed = rewrite(home.reference / "integrations.csv", lambda row: row["cbe_number"] != cbe[NOT_INTEGRATED])
    held = tmp_path / HELD_BACK
    shutil.move(home.rights_inbox / HELD_BACK, held)

    with RunningSubscriber(home.home, port) as subscriber:
        refresh(home, R1)
        first = notify(home.home)
        assert first.returncode == 0, first.stderr
        assert ": 0 due notifications" in first.stdout and "delivered 0" in first.stdout  # the history: nothing
        assert subscriber.received() == {}

        shutil.move(held, home.rights_inbox / HELD_BACK)
        refresh(home, R2)
        second = notify(home.home)
        assert second.returncode == 0, second.stderr
        received = subscriber.received()

    current = (home.published / "CURRENT").read_text().strip()
    with duckdb.connect(str(home.published / f"{current}.duckdb"), read_only=True) as snapshot:
        due = snapshot.execute(
            "SELECT ticket_cbss, recipient_cbe_number, right_id, sequence, with_attestation FROM due_notifications"
        ).fetchall()
    assert due, "the held-back month made nothing due: the scenario tests nothing"
    assert f"delivered {len(due)}" in second.stdout
    assert set(received) == {row[0] for row in due} and all(len(r) == 1 for r in received.values())
    for ticket, recipient, right, sequence, with_attestation in due:
        [receipt] = received[ticket]
        assert (receipt["cbeNumber"], receipt["rightId"], receipt["sequence"]) == (recipient, right, sequence)
        assert (receipt["attestation"] is not None) == with_attestation
    paths = {r[0]["path"] for r in received.values()}
    assert f"/notifications/{UNAUTHORISED}" not in paths and f"/notifications/{NOT_INTEGRATED}" not in paths
    # not vacuous: the emptied repertory followed people the others are notified about
    notified_people = {r[0]["ssin"] for r in received.values()}
    assert notified_people & {row["ssin"] for row in followed}
    assert len(paths) >= 2

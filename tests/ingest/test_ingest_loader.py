"""Loading files into a real DuckDB warehouse: ledger, archive, idempotency, crashes, order, conflicts, replay."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest

import ingest.inbox
from ingest import ingest_inbox, pending_files, replay
from kernel.errors import LwwError
from tests.ingest.ingest_builders import drop, event, payment, payments_xml, rights_xml, ssin


def count(connection, table: str) -> int:
    return connection.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]


def test_a_good_file_is_loaded_recorded_and_archived(home, warehouse):
    drop(home.payments_inbox, "pay.xml", payments_xml([payment("L1"), payment("L2", ssin=ssin(2))], file_id="P1"))
    drop(home.rights_inbox, "rig.xml", rights_xml([event("E1")], file_id="R1", created_at="2026-03-02T01:00:00Z"))
    report = ingest_inbox(warehouse, home)
    assert [(o.name, o.status, o.rows) for o in report.outcomes] == [("rig.xml", "loaded", 1), ("pay.xml", "loaded", 2)]
    assert report.lines == 3
    assert warehouse.execute("SELECT sum(amount) FROM raw.payment_lines").fetchone()[0] == Decimal("2628.40")
    ledger = warehouse.execute(
        "SELECT file_id, kind, file_name, rows, created_at, reporting_month, length(sha256) FROM raw.loaded_files "
        "ORDER BY file_id"
    ).fetchall()
    assert ledger == [
        ("P1", "payments", "pay.xml", 2, dt.datetime(2026, 4, 4, 2), dt.date(2026, 4, 1), 64),
        ("R1", "rights", "rig.xml", 1, dt.datetime(2026, 3, 2, 1), dt.date(2026, 3, 1), 64),
    ]
    assert (home.archive / "payments" / "2026-04" / "pay.xml").is_file()
    assert (home.archive / "rights" / "2026-03" / "rig.xml").is_file()
    assert pending_files(home) == []


def test_loading_the_same_file_twice_is_a_no_op(home, warehouse):
    text = payments_xml([payment("L1")], file_id="P1")
    drop(home.payments_inbox, "pay.xml", text)
    ingest_inbox(warehouse, home)
    drop(home.payments_inbox, "pay-again.xml", text)
    report = ingest_inbox(warehouse, home)
    assert [o.status for o in report.outcomes] == ["skipped"]
    assert count(warehouse, "payment_lines") == 1
    assert count(warehouse, "loaded_files") == 1
    assert not list(home.payments_inbox.iterdir())


def test_a_crash_between_commit_and_move_is_harmless(home, warehouse, monkeypatch):
    drop(home.payments_inbox, "pay.xml", payments_xml([payment("L1")], file_id="P1"))

    def crash(*args, **kwargs):
        raise SystemExit("power cut after COMMIT")

    monkeypatch.setattr(ingest.inbox, "archive", crash)
    with pytest.raises(SystemExit):
        ingest_inbox(warehouse, home)
    monkeypatch.undo()
    assert count(warehouse, "payment_lines") == 1
    assert (home.payments_inbox / "pay.xml").is_file()
    report = ingest_inbox(warehouse, home)
    assert [o.status for o in report.outcomes] == ["skipped"]
    assert count(warehouse, "payment_lines") == 1
    assert (home.archive / "payments" / "2026-04" / "pay.xml").is_file()


def test_a_crash_in_the_middle_of_a_file_leaves_nothing(home, warehouse, monkeypatch):
    monkeypatch.setattr(ingest.parser, "BATCH_ROWS", 2)
    drop(home.payments_inbox, "pay.xml", payments_xml([payment(f"L{i}") for i in range(1, 6)], file_id="P1"))
    seen = []

    def crash_after_first_batch(name, rows):
        seen.append(rows)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_inbox(warehouse, home, progress=crash_after_first_batch)
    assert seen == [2]
    assert count(warehouse, "payment_lines") == 0
    assert count(warehouse, "loaded_files") == 0
    assert (home.payments_inbox / "pay.xml").is_file()
    report = ingest_inbox(warehouse, home)
    assert report.loaded[0].rows == 5


def test_files_are_processed_in_created_at_then_file_id_order(home, warehouse):
    later = payments_xml(
        [payment("L2", replacesLineId="L1", acceptanceDate="2026-04-10", amount="10.00")],
        file_id="A-later",
        created_at="2026-05-02T00:00:00Z",
    )
    earlier = payments_xml([payment("L1")], file_id="Z-earlier", created_at="2026-04-02T00:00:00Z")
    drop(home.payments_inbox, "a.xml", later)
    drop(home.payments_inbox, "b.xml", earlier)
    assert [f.file_id for f in pending_files(home)] == ["Z-earlier", "A-later"]
    report = ingest_inbox(warehouse, home)
    assert [(o.file_id, o.status) for o in report.outcomes] == [("Z-earlier", "loaded"), ("A-later", "loaded")]
    assert pending_files(home) == []


def test_the_same_file_id_with_other_content_is_quarantined(home, warehouse):
    drop(home.payments_inbox, "pay.xml", payments_xml([payment("L1")], file_id="P1"))
    ingest_inbox(warehouse, home)
    drop(home.payments_inbox, "pay.xml", payments_xml([payment("L9")], file_id="P1"))
    report = ingest_inbox(warehouse, home)
    [outcome] = report.quarantined
    assert "P1" in outcome.reason
    assert count(warehouse, "payment_lines") == 1
    reason = (home.quarantine / "pay.xml.reason.txt").read_text()
    assert "fileId P1 was already loaded from pay.xml" in reason
    assert "field fileId" in reason


def test_malformed_xml_is_quarantined_with_its_line(home, warehouse):
    text = payments_xml([payment("L1")]).replace("</decision>", "</decisions>")
    drop(home.payments_inbox, "bad.xml", text)
    report = ingest_inbox(warehouse, home)
    assert report.quarantined[0].violations[0].source_line == 13
    assert "not well-formed" in (home.quarantine / "bad.xml.reason.txt").read_text()
    assert count(warehouse, "payment_lines") == 0


def test_a_quarantined_file_is_replayed_once_fixed(home, warehouse):
    bad = payments_xml([payment("L1", ssin="85073003329")], file_id="P1")
    drop(home.payments_inbox, "pay.xml", bad)
    assert ingest_inbox(warehouse, home).quarantined
    quarantined = home.quarantine / "pay.xml"
    assert replay(warehouse, home, "pay.xml").status == "quarantined"  # still wrong: stays
    assert quarantined.is_file()
    assert count(warehouse, "quarantined_files") == 2
    quarantined.write_text(bad.replace("85073003329", ssin(1)), encoding="utf-8")
    outcome = replay(warehouse, home, "pay.xml")
    assert outcome.status == "loaded"
    assert count(warehouse, "payment_lines") == 1
    assert not quarantined.exists()
    assert not (home.quarantine / "pay.xml.reason.txt").exists()
    assert (home.archive / "payments" / "2026-04" / "pay.xml").is_file()
    released = warehouse.execute("SELECT count(*) FROM raw.quarantined_files WHERE released_at IS NOT NULL")
    assert released.fetchone()[0] == 2


def test_replay_of_an_unknown_name_is_a_clear_error(home, warehouse):
    with pytest.raises(LwwError, match=r"no quarantined file 'nope\.xml'"):
        replay(warehouse, home, "nope.xml")


def test_archive_keeps_both_files_when_names_collide(home, warehouse):
    drop(home.payments_inbox, "pay.xml", payments_xml([payment("L1")], file_id="P1"))
    ingest_inbox(warehouse, home)
    drop(home.payments_inbox, "pay.xml", payments_xml([payment("L2")], file_id="P2"))
    ingest_inbox(warehouse, home)
    archived = sorted(p.name for p in (home.archive / "payments" / "2026-04").iterdir())
    assert len(archived) == 2
    assert archived[-1] == "pay.xml"


def test_copying_back_an_archived_file_after_a_crash_never_duplicates(home, warehouse):
    drop(home.rights_inbox, "r.xml", rights_xml([event("E1")], file_id="R1"))
    ingest_inbox(warehouse, home)
    shutil.copy(home.archive / "rights" / "2026-04" / "r.xml", home.rights_inbox / "r.xml")
    report = ingest_inbox(warehouse, home)
    assert report.skipped and count(warehouse, "right_events") == 1

"""Several files parsed ahead by a process pool, applied in order by the writer: the outcome is the sequential one.

Real files, a real pool (spawned processes), real DuckDB warehouses: one home ingests with one worker (each file
parsed in the loading process), a twin home ingests the same inbox with several workers, and both must end the
same, file by file.
"""

from __future__ import annotations

import duckdb
import pytest

from ingest import ingest_inbox, load_reference
from ingest.loader import ingest_memory_limit
from ingest.spool import SPOOL_PREFIX, ingest_workers
from kernel.settings import settings as make_settings
from tests.ingest.ingest_builders import CPAS_B, drop, event, payment, payments_xml, rights_xml, ssin, write_pcsa


def _inbox() -> list[tuple[str, str, str]]:
    """(inbox, name, text) of a realistic batch: three payment months and two rights files, where later files
    depend on earlier ones (a re-introduction of a rejected line, a correction, a MODIFY of a right)."""
    march = payments_xml(
        [
            payment("M1"),
            payment("M2", ssin=ssin(2), decision="REJECTED", rejectionCode="R01", amount="0.00"),
            payment("M3", ssin=ssin(3), partnerSsin=ssin(4), householdCategory="1", amount="876.13"),
        ],
        file_id="PAY-03",
        created_at="2026-04-03T02:00:00Z",
    )
    april = payments_xml(
        [
            payment("A1", beginDate="2026-04-01", endDate="2026-04-30", acceptanceDate="2026-04-20"),
            # re-introduces the line rejected in the previous file of the same batch
            payment("A2", replacesLineId="M2", ssin=ssin(2), acceptanceDate="2026-04-21"),
        ],
        file_id="PAY-04",
        created_at="2026-05-04T02:00:00Z",
    )
    may = payments_xml(
        [payment("Y1", replacesLineId="A1", amount="1000.00", acceptanceDate="2026-05-20")],
        file_id="PAY-05",
        created_at="2026-06-02T02:00:00Z",
    )
    rights_1 = rights_xml([event("E1"), event("E2", rightId="R2", ssin=ssin(2))], file_id="RIG-1")
    rights_2 = rights_xml(
        [event("E3", sequence="2", eventType="MODIFY", householdCategory="3", registrationDate="2026-05-01")],
        file_id="RIG-2",
        created_at="2026-05-02T02:00:00Z",
    )
    return [
        ("payments", "pay-05.xml", may),
        ("payments", "pay-03.xml", march),
        ("payments", "pay-04.xml", april),
        ("rights", "rig-2.xml", rights_2),
        ("rights", "rig-1.xml", rights_1),
    ]


def _home(root, name: str, files):
    home = make_settings(root / name).ensure()
    write_pcsa(home.reference)
    for inbox, file_name, text in files:
        drop(home.payments_inbox if inbox == "payments" else home.rights_inbox, file_name, text)
    connection = duckdb.connect(str(home.warehouse))
    load_reference(connection, home)
    return home, connection


def _state(connection) -> dict[str, list[tuple]]:
    return {
        "lines": connection.execute("SELECT * FROM raw.payment_lines ORDER BY file_id, line_no").fetchall(),
        "events": connection.execute("SELECT * FROM raw.right_events ORDER BY file_id, line_no").fetchall(),
        "ledger": connection.execute(
            "SELECT file_id, kind, file_name, sha256, rows, created_at, reporting_month FROM raw.loaded_files "
            "ORDER BY loaded_at, file_id"
        ).fetchall(),
        "quarantine": connection.execute(
            "SELECT file_name, kind, file_id, sha256, reason, line_no, field, errors FROM raw.quarantined_files "
            "ORDER BY quarantined_at"
        ).fetchall(),
    }


def _outcomes(report) -> list[tuple]:
    return [(o.name, o.kind, o.file_id, o.status, o.rows, o.reason, o.violations) for o in report.outcomes]


def _twins(tmp_path, files):
    """Ingest the same inbox with one worker and with three; return both (report, state, home)."""
    results = []
    for name, workers in (("sequential", 1), ("parallel", 3)):
        home, connection = _home(tmp_path, name, files)
        try:
            report = ingest_inbox(connection, home, workers=workers)
            results.append((report, _state(connection), home))
        finally:
            connection.close()
    return results


def _tree(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_batch_parsed_in_parallel_ends_exactly_like_one_file_after_another(tmp_path):
    (seq_report, seq_state, seq_home), (par_report, par_state, par_home) = _twins(tmp_path, _inbox())
    assert [o.status for o in seq_report.outcomes] == ["loaded"] * 5
    assert _outcomes(par_report) == _outcomes(seq_report)
    assert par_state == seq_state
    assert [row[0] for row in par_state["ledger"]] == ["PAY-03", "RIG-1", "RIG-2", "PAY-04", "PAY-05"]
    assert _tree(par_home.archive) == _tree(seq_home.archive)
    assert not list(par_home.inbox.rglob("*.xml"))
    assert not list(par_home.warehouse_dir.glob(f"{SPOOL_PREFIX}*")), "no spool is left behind"


def test_bad_files_among_good_ones_are_quarantined_whole_and_the_others_load_in_order(tmp_path):
    files = _inbox()
    malformed = payments_xml([payment("B1")], file_id="PAY-BAD", created_at="2026-04-15T00:00:00Z")
    malformed = malformed.replace("</decision>", "</decisions>")
    # breaks a business rule: a CPAS that is not in the reference data
    unknown = payments_xml(
        [payment("U1"), payment("U2", pcsaCbeNumber="0200000000")],
        file_id="PAY-UNKNOWN",
        created_at="2026-05-10T00:00:00Z",
    )
    files += [("payments", "bad.xml", malformed), ("payments", "unknown.xml", unknown)]
    (seq_report, seq_state, seq_home), (par_report, par_state, par_home) = _twins(tmp_path, files)
    assert [(o.name, o.status) for o in par_report.outcomes] == [
        ("pay-03.xml", "loaded"),
        ("rig-1.xml", "loaded"),
        ("bad.xml", "quarantined"),
        ("rig-2.xml", "loaded"),
        ("pay-04.xml", "loaded"),
        ("unknown.xml", "quarantined"),
        ("pay-05.xml", "loaded"),
    ]
    assert _outcomes(par_report) == _outcomes(seq_report)
    assert [row[0] for row in par_state["ledger"]] == ["PAY-03", "RIG-1", "RIG-2", "PAY-04", "PAY-05"]
    assert par_state["lines"] == seq_state["lines"] and par_state["events"] == seq_state["events"]
    assert [(q[0], q[2]) for q in par_state["quarantine"]] == [("bad.xml", "PAY-BAD"), ("unknown.xml", "PAY-UNKNOWN")]
    assert par_state["quarantine"] == seq_state["quarantine"]
    for name in ("bad.xml", "unknown.xml"):
        assert (par_home.quarantine / f"{name}.reason.txt").read_text().splitlines()[4:] == (
            (seq_home.quarantine / f"{name}.reason.txt").read_text().splitlines()[4:]
        )
    assert "not well-formed" in (par_home.quarantine / "bad.xml.reason.txt").read_text()
    assert not list(par_home.warehouse_dir.glob(f"{SPOOL_PREFIX}*"))


def test_a_rule_sees_the_earlier_files_of_the_batch_and_not_the_later_ones(tmp_path):
    # PAY-B re-introduces a line rejected in PAY-A (earlier in the batch): loaded. PAY-C replaces a line of PAY-D,
    # which comes after it: quarantined, as it would be one file after another.
    files = [
        (
            "payments",
            "a.xml",
            payments_xml(
                [payment("L1", decision="REJECTED", rejectionCode="R02", amount="0.00")],
                file_id="PAY-A",
                created_at="2026-04-01T00:00:00Z",
            ),
        ),
        (
            "payments",
            "b.xml",
            payments_xml(
                [payment("L2", replacesLineId="L1", acceptanceDate="2026-04-02")],
                file_id="PAY-B",
                created_at="2026-04-02T00:00:00Z",
            ),
        ),
        (
            "payments",
            "c.xml",
            payments_xml(
                [payment("L3", replacesLineId="L4", ssin=ssin(5))], file_id="PAY-C", created_at="2026-04-03T00:00:00Z"
            ),
        ),
        (
            "payments",
            "d.xml",
            payments_xml([payment("L4", ssin=ssin(5))], file_id="PAY-D", created_at="2026-04-04T00:00:00Z"),
        ),
    ]
    home, connection = _home(tmp_path, "home", files)
    try:
        report = ingest_inbox(connection, home, workers=2)
        assert [(o.file_id, o.status) for o in report.outcomes] == [
            ("PAY-A", "loaded"),
            ("PAY-B", "loaded"),
            ("PAY-C", "quarantined"),
            ("PAY-D", "loaded"),
        ]
        assert report.outcomes[2].violations[0].rule == "replaces-unknown-line"
        replaced = connection.execute("SELECT replaces_line_id FROM raw.payment_lines WHERE line_id = 'L2'")
        assert replaced.fetchone() == ("L1",)
    finally:
        connection.close()


def test_the_same_file_id_twice_in_one_batch_is_a_no_op_or_a_conflict_as_before(tmp_path):
    text = payments_xml([payment("L1")], file_id="P1")
    other = payments_xml([payment("L9", pcsaCbeNumber=CPAS_B)], file_id="P1")
    files = [("payments", "a.xml", text), ("payments", "b.xml", text), ("payments", "c.xml", other)]
    (seq_report, seq_state, _), (par_report, par_state, _) = _twins(tmp_path, files)
    assert [(o.name, o.status) for o in par_report.outcomes] == [
        ("a.xml", "loaded"),
        ("b.xml", "skipped"),
        ("c.xml", "quarantined"),
    ]
    assert _outcomes(par_report) == _outcomes(seq_report)
    assert par_state["lines"] == seq_state["lines"] and len(par_state["lines"]) == 1


def test_the_connection_gets_its_own_memory_settings_back(home, warehouse):
    before = warehouse.execute("SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order')")
    before = before.fetchone()
    drop(home.payments_inbox, "a.xml", payments_xml([payment("L1")], file_id="P1"))
    drop(home.payments_inbox, "b.xml", payments_xml([payment("L2")], file_id="P2", created_at="2026-04-05T00:00:00Z"))
    assert [o.status for o in ingest_inbox(warehouse, home, workers=2).outcomes] == ["loaded", "loaded"]
    after = warehouse.execute("SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order')")
    assert after.fetchone() == before


def test_worker_count_and_memory_limit_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("LWW_INGEST_WORKERS", raising=False)
    assert ingest_workers() >= 1
    monkeypatch.setenv("LWW_INGEST_WORKERS", "1")
    assert ingest_workers() == 1
    monkeypatch.setenv("LWW_INGEST_WORKERS", "0")
    assert ingest_workers() == 1
    monkeypatch.setenv("LWW_INGEST_MEMORY_LIMIT", "96MB")
    assert ingest_memory_limit() == "96MB"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_leftover_spool_of_a_killed_run_is_cleared(home, warehouse, workers):
    leftover = home.warehouse_dir / f"{SPOOL_PREFIX}dead.parquet"
    leftover.write_bytes(b"half a spool")
    drop(home.payments_inbox, "a.xml", payments_xml([payment("L1")], file_id="P1"))
    drop(home.payments_inbox, "b.xml", payments_xml([payment("L2")], file_id="P2", created_at="2026-04-05T00:00:00Z"))
    ingest_inbox(warehouse, home, workers=workers)
    assert not leftover.exists()

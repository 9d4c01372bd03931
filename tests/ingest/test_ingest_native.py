"""The fast path (libxml2 gate + native extraction) against the detailed parser: same tables, same reasons.

Real files (the simulator's, and hand-made ones), real DuckDB warehouses: a twin home ingests the same inbox with
the fast path switched off (``LWW_INGEST_NATIVE=0``), and both must end the same; files the fast path cannot
vouch for must be read by the detailed parser, whose reason names file, XML line, element and field.
"""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pyarrow.parquet as pq
import pytest

from ingest import ingest_inbox, ledger, load_reference, native
from ingest.inbox import describe
from ingest.native import Abandoned, _Gate, _GatedPipe
from ingest.reader import spool_file
from ingest.schemas import PAYMENTS
from ingest.security import Limits
from kernel.settings import settings as make_settings
from simulator.config import SimulationConfig
from simulator.run import simulate
from tests.ingest.ingest_builders import PAYMENTS_NS, drop, event, payment, payments_xml, rights_xml, ssin, write_pcsa

SIMULATION = SimulationConfig(
    seed=5,
    pcsa=4,
    people=120,
    first_month=dt.date(2025, 1, 1),
    last_month=dt.date(2025, 4, 1),
    today=dt.date(2026, 11, 27),
)


def _state(connection) -> dict[str, object]:
    tables = {}
    for table in ("payment_lines", "right_events"):
        tables[table] = (
            connection.execute(f"DESCRIBE raw.{table}").fetchall(),
            connection.execute(f"SELECT * FROM raw.{table} ORDER BY file_id, line_no").fetchall(),
        )
    tables["ledger"] = connection.execute(
        "SELECT file_id, kind, file_name, sha256, rows FROM raw.loaded_files ORDER BY file_id"
    ).fetchall()
    tables["quarantine"] = connection.execute(
        "SELECT file_name, kind, file_id, sha256, reason, line_no, field, errors FROM raw.quarantined_files "
        "ORDER BY file_name"
    ).fetchall()
    return tables


def _reasons(home) -> dict[str, list[str]]:
    """The reason files, without their time stamp line."""
    return {
        path.name: [line for line in path.read_text().splitlines() if not line.startswith("quarantined at:")]
        for path in sorted(home.quarantine.glob("*.reason.txt"))
    }


def _twins(tmp_path, monkeypatch, fill):
    """The same inbox ingested by the detailed parser only, then with the fast path: (state, reasons, report)."""
    results = {}
    for name, switch in (("detailed", "0"), ("native", "1")):
        monkeypatch.setenv("LWW_INGEST_NATIVE", switch)
        home = make_settings(tmp_path / name).ensure()
        fill(home)
        connection = duckdb.connect(str(home.warehouse))
        try:
            load_reference(connection, home)
            report = ingest_inbox(connection, home, workers=1)
            results[name] = (_state(connection), _reasons(home), report)
        finally:
            connection.close()
    return results["detailed"], results["native"]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """Four months of the simulator's upstream (payments and rights, every optional element, re-introductions,
    corrections, partners), written once."""
    home = make_settings(tmp_path_factory.mktemp("simulated")).ensure()
    simulate(SIMULATION, home)
    return home


def _copy_simulated(simulated):
    def fill(home):
        for source in sorted(simulated.home.rglob("*")):
            if source.is_file() and (source.suffix in (".xml", ".csv")):
                target = home.home / source.relative_to(simulated.home)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read_bytes())

    return fill


def test_the_simulated_upstream_gives_the_same_raw_tables_through_both_paths(tmp_path, monkeypatch, simulated):
    (detailed, _, detailed_report), (native, _, native_report) = _twins(
        tmp_path, monkeypatch, _copy_simulated(simulated)
    )
    assert detailed_report.loaded and not detailed_report.quarantined
    assert all(o.fast for o in native_report.outcomes) and not any(o.fast for o in detailed_report.outcomes)
    assert len(native_report.loaded) == len(detailed_report.loaded)
    assert native["payment_lines"][1] and native["right_events"][1]
    assert native == detailed  # every column, type, null, decimal, date and string, and the ledger


def test_the_fast_path_reads_the_simulated_files_itself_into_the_detailed_parsers_spool(tmp_path, simulated):
    files = sorted(simulated.inbox.rglob("*.xml"))
    assert {path.parent.name for path in files} == {"payments", "rights"}
    for path in files:
        pending = describe(path, path.parent.name)
        sha = ledger.sha256_of(path)
        fast = spool_file(pending, Limits(), tmp_path / "fast.parquet", sha, native=True)
        detailed = spool_file(pending, Limits(), tmp_path / "detailed.parquet", sha, native=False)
        assert fast.native and not detailed.native, path.name
        assert (fast.rows, fast.ssins.bad) == (detailed.rows, detailed.ssins.bad)
        fast_table, detailed_table = pq.read_table(fast.spool), pq.read_table(detailed.spool)
        assert fast_table.schema == detailed_table.schema
        assert fast_table.drop(["source_line"]) == detailed_table.drop(["source_line"]), path.name
        fast.discard()
        detailed.discard()


def test_a_file_changed_since_it_was_hashed_is_read_by_the_detailed_parser(tmp_path):
    path = drop(tmp_path / "payments", "p.xml", GOOD)
    spooled = spool_file(describe(path, "payments"), Limits(), tmp_path / "s.parquet", "0" * 64, native=True)
    assert not spooled.native and spooled.rows == 2


def _assert_same_outcome(tmp_path, monkeypatch, files):
    (detailed, detailed_reasons, detailed_report), (native, native_reasons, native_report) = _twins(
        tmp_path, monkeypatch, lambda home: _drop_all(home, files)
    )
    assert [(o.name, o.status, o.reason, o.violations) for o in native_report.outcomes] == [
        (o.name, o.status, o.reason, o.violations) for o in detailed_report.outcomes
    ]
    assert native == detailed
    assert native_reasons == detailed_reasons
    return native_report, native_reasons


def _drop_all(home, files):
    write_pcsa(home.reference)
    for inbox, name, text in files:
        drop(home.payments_inbox if inbox == "payments" else home.rights_inbox, name, text)


GOOD = payments_xml([payment("G1"), payment("G2", ssin=ssin(2), partnerSsin=ssin(3), householdCategory="1")])


@pytest.mark.parametrize(
    ("case", "text", "where"),
    [
        ("a value check", GOOD.replace("<amount>1314.20</amount>", "<amount>1314.205</amount>", 1), "amount"),
        ("a date that does not exist", GOOD.replace("2026-03-05", "2026-02-30", 1), "paymentDate"),
        ("a structure error", GOOD.replace("</decision>", "</decision><note>x</note>", 1), "note"),
        ("an empty optional element", GOOD.replace("<lineId>G2</lineId>", "<lineId>G2</lineId><replacesLineId/>"), ""),
        ("a missing element", GOOD.replace("<ssin>" + ssin(1) + "</ssin>", "", 1), "ssin"),
        ("a business rule", GOOD.replace(ssin(2), ssin(2)[:-1] + str((int(ssin(2)[-1]) + 1) % 10)), "ssin"),
        ("an element of another namespace", GOOD.replace("<line>", '<line xmlns="urn:other">', 1), "line"),
        ("not well-formed", GOOD.replace("</amount>", "</amounts>", 1), ""),
    ],
)
def test_a_file_failing_on_the_fast_path_is_quarantined_with_the_detailed_reason(
    tmp_path, monkeypatch, case, text, where
):
    report, reasons = _assert_same_outcome(tmp_path, monkeypatch, [("payments", "bad.xml", text)])
    assert [o.status for o in report.outcomes] == ["quarantined"], case
    reason = "\n".join(reasons["bad.xml.reason.txt"])
    assert "XML line" in reason or "not well-formed" in reason, reason
    assert where in reason


@pytest.mark.parametrize(
    ("case", "text"),
    [
        ("a character reference", GOOD.replace("<lineId>G1</lineId>", "<lineId>G&#49;x</lineId>")),
        ("an entity reference", GOOD.replace("<lineId>G1</lineId>", "<lineId>G&amp;1</lineId>")),
        ("a comment inside a line", GOOD.replace("<lineId>G1</lineId>", "<lineId>G<!-- c -->1</lineId>")),
        ("CDATA", GOOD.replace("<lineId>G1</lineId>", "<lineId><![CDATA[G1]]></lineId>")),
        ("CRLF line ends", GOOD.replace("\n", "\r\n")),
        (
            "a prefixed root",
            GOOD.replace("<paymentAcceptances ", f'<p:paymentAcceptances xmlns:p="{PAYMENTS_NS}" ').replace(
                "</paymentAcceptances>", "</p:paymentAcceptances>"
            ),
        ),
    ],
)
def test_unusual_but_valid_files_are_loaded_by_the_detailed_parser_exactly(tmp_path, monkeypatch, case, text):
    report, _ = _assert_same_outcome(tmp_path, monkeypatch, [("payments", "odd.xml", text)])
    assert [o.status for o in report.outcomes] == ["loaded"], (case, report.outcomes[0].reason)


def test_rights_with_and_without_an_end_date_load_alike(tmp_path, monkeypatch):
    text = rights_xml([event("E1"), event("E2", rightId="R2", ssin=ssin(2), endDate=None)])
    report, _ = _assert_same_outcome(tmp_path, monkeypatch, [("rights", "r.xml", text)])
    assert [o.status for o in report.outcomes] == ["loaded"]


def _through_the_gate(path) -> bytes:
    """What the extractor would read of ``path``; raises Abandoned when the gate or the scan refused."""
    gate = _Gate(PAYMENTS, path.name)
    pipe = _GatedPipe(path, gate)
    received = b""
    try:
        while chunk := os.read(pipe.read_end, 1 << 16):
            received += chunk
        pipe.outcome()
    finally:
        pipe.stop()
        gate.free()
    return received


def test_the_extractor_is_handed_a_good_file_whole(tmp_path):
    path = drop(tmp_path, "g.xml", GOOD)
    assert _through_the_gate(path) == path.read_bytes()


@pytest.mark.parametrize(
    "hostile",
    [
        b"<!DOCTYPE x [<!ENTITY e 'boom'>]>",
        b"&e;",
        b"<!-- a comment -->",
        b"<?pi data?>",
        b"<![CDATA[x]]>",
        b"\r",
        b"<note>a structure error</note>",
    ],
)
def test_the_extractor_is_handed_nothing_of_a_chunk_that_the_scan_or_the_gate_refused(tmp_path, hostile):
    good = GOOD.encode()
    at = good.index(b"<line>")
    path = drop(tmp_path, "h.xml", good[:at] + hostile + good[at:])
    received = None
    with pytest.raises(Abandoned):
        received = _through_the_gate(path)
    assert received is None  # and the pipe was read to its end: nothing had been written to it


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_small_chunks_hand_over_the_same_bytes_and_catch_what_straddles_two(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(native, "CHUNK_BYTES", chunk)
    text = payments_xml([payment(f"S{n}", ssin=ssin(n)) for n in range(1, 31)])  # ≈ 12 KB, past the first chunk
    good = drop(tmp_path, "g.xml", text)
    assert _through_the_gate(good) == good.read_bytes()
    spooled = spool_file(describe(good, "payments"), Limits(), tmp_path / "s.parquet", native=True)
    assert spooled.native and spooled.rows == 30
    for late in ("<!-- c -->", "<?pi x?>", "&#49;"):
        at = text.index("<line>", 9000)
        with pytest.raises(Abandoned):
            _through_the_gate(drop(tmp_path, "c.xml", text[:at] + late + text[at:]))

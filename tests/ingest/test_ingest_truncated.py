"""A file is loaded only when the parser has seen the end of its root element (issue 15, defect 1).

A payments or rights file cut short (the end of the document missing) used to be read as a valid file holding the
lines before the cut, or as an empty one: recorded in the ledger, archived, and its fileId consumed, so that the
complete file sent again was refused. Every prefix of a valid file must be refused by both readers (the fast
path abandons it, the detailed parser quarantines it as not well-formed), whichever process parses it, and must
never reach the ledger; a complete file with zero lines is valid (the XSDs say ``minOccurs="0"``) and loads as an
empty file with its ledger row.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import ingest_inbox
from ingest.inbox import describe
from ingest.native import Abandoned, NativeRead
from ingest.parser import UpstreamFile
from ingest.reader import spool_file
from ingest.security import Limits
from ingest.violations import FileRejected
from tests.ingest.ingest_builders import drop, event, payment, payments_xml, rights_xml, ssin

ROOTS = {"payments": "paymentAcceptances", "rights": "rightEvents"}
SMALL = {
    "payments": payments_xml([payment("L1")], file_id="P1"),
    "rights": rights_xml([event("E1")], file_id="R1"),
}


def _complete_at(data: bytes, kind: str) -> int:
    """The length of the shortest prefix that is a whole document: up to the end tag of the root."""
    end = re.search(rb"</(\w+:)?%s>\s*$" % ROOTS[kind].encode(), data)
    return end.end(0) - len(end.group(0)) + len(end.group(0).rstrip())


def _refused_by_both_readers(path, kind: str) -> str:
    """Both readers refuse ``path``: the fast path abandons, the detailed parser raises FileRejected (from the
    header or from the body); the reason of record is returned."""
    pending = describe(path, kind)
    if pending.header_error is not None:
        return pending.header_error.summary()
    with pytest.raises(Abandoned):
        for _ in NativeRead(UpstreamFile.open(path, expected_kind=kind), 100).batches():
            pass
    with pytest.raises(FileRejected) as refused:
        for _ in UpstreamFile.open(path, expected_kind=kind).batches():
            pass
    # and the loader's own reading function, which tries the fast path first
    with pytest.raises(FileRejected):
        spool_file(pending, Limits(), path.with_suffix(".parquet"))
    assert not path.with_suffix(".parquet").exists()
    return refused.value.summary()


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_every_prefix_of_a_small_file_is_refused_by_both_readers(tmp_path, kind):
    data = SMALL[kind].encode()
    complete = _complete_at(data, kind)
    for cut in range(complete):  # every byte offset before the root's end tag is whole
        path = drop(tmp_path, f"cut-{cut}.xml", data[:cut])
        reason = _refused_by_both_readers(path, kind)
        assert "malformed" in reason or "schema" in reason or "hostile" in reason, (cut, reason)
    # the whole document, with or without what follows its root, is read alike by both
    for cut in (complete, len(data)):
        path = drop(tmp_path, f"whole-{cut}.xml", data[:cut])
        native = NativeRead(UpstreamFile.open(path, expected_kind=kind), 100)
        assert sum(batch.num_rows for batch in native.batches()) == 1
        assert sum(batch.num_rows for batch in UpstreamFile.open(path, expected_kind=kind).batches()) == 1


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_a_file_cut_after_a_whole_line_names_the_missing_end_of_its_root(tmp_path, kind):
    data = SMALL[kind].encode()
    item = "line" if kind == "payments" else "event"
    cut = data.index(f"</{item}>".encode()) + len(item) + 3
    path = drop(tmp_path, "cut.xml", data[:cut])
    reason = _refused_by_both_readers(path, kind)
    assert reason.startswith("malformed:"), reason
    assert f"ends before the end tag </{ROOTS[kind]}>" in reason
    assert "[well-formed]" in reason


def _file(kind: str, items: int, prefixed: bool) -> str:
    if kind == "payments":
        text = payments_xml(
            [payment(f"L{n}", ssin=ssin(n), partnerSsin=ssin(n + 50) if n % 2 else None) for n in range(1, items + 1)]
        )
    else:
        text = rights_xml(
            [event(f"E{n}", rightId=f"R{n}", endDate=None if n % 2 else "2026-12-31") for n in range(1, items + 1)]
        )
    if prefixed:  # the same document with the namespace under a prefix
        root = ROOTS[kind]
        text = re.sub(r"<(/?)(?=[A-Za-z])", r"<\1u:", text).replace('xmlns="', 'xmlns:u="')
        assert f"<u:{root} " in text
    return text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(sorted(SMALL)),
    items=st.integers(0, 3),
    prefixed=st.booleans(),
    where=st.floats(0, 1, exclude_max=True),
)
def test_any_file_cut_anywhere_before_its_end_is_refused(tmp_path_factory, kind, items, prefixed, where):
    data = _file(kind, items, prefixed).encode()
    complete = _complete_at(data, kind)
    folder = tmp_path_factory.mktemp("cut")
    # at every '>' (a cut between two tags reads as well-formed so far), and at one byte offset anywhere
    cuts = {m.end() for m in re.finditer(rb">", data[:complete]) if m.end() < complete}
    cuts.add(int(where * complete))
    for cut in sorted(cuts):
        _refused_by_both_readers(drop(folder, f"cut-{cut}.xml", data[:cut]), kind)


@pytest.mark.parametrize("native", ["1", "0"])
@pytest.mark.parametrize("workers", [1, 2])
def test_truncated_files_are_quarantined_never_recorded_and_the_whole_file_loads_later(
    home, warehouse, monkeypatch, native, workers
):
    """End to end through the loader, on both paths, with and without the parse-ahead pool."""
    monkeypatch.setenv("LWW_INGEST_NATIVE", native)
    cuts = {}
    for kind, text in SMALL.items():
        data = text.encode()
        item = b"</line>" if kind == "payments" else b"</event>"
        inbox = home.payments_inbox if kind == "payments" else home.rights_inbox
        for name, cut in {
            "in-its-only-line": data.index(item) - 20,
            "after-its-only-line": data.index(item) + len(item),
            "before-the-last-byte": _complete_at(data, kind) - 1,
        }.items():
            cuts[f"{kind}-{name}.xml"] = kind
            drop(inbox, f"{kind}-{name}.xml", data[:cut])
    report = ingest_inbox(warehouse, home, workers=workers)
    assert {o.name: o.status for o in report.outcomes} == dict.fromkeys(cuts, "quarantined")
    assert warehouse.execute("SELECT count(*) FROM raw.loaded_files").fetchone()[0] == 0
    assert warehouse.execute("SELECT count(*) FROM raw.payment_lines").fetchone()[0] == 0
    assert warehouse.execute("SELECT count(*) FROM raw.right_events").fetchone()[0] == 0
    for name in cuts:
        reason = (home.quarantine / f"{name}.reason.txt").read_text()
        assert "reason: malformed" in reason and "not well-formed XML" in reason, reason
    assert not list(home.archive.rglob("*.xml"))
    # SPP IS sends the complete files again: same fileIds, not consumed
    drop(home.payments_inbox, "PAY.xml", SMALL["payments"])
    drop(home.rights_inbox, "RIG.xml", SMALL["rights"])
    report = ingest_inbox(warehouse, home, workers=workers)
    assert sorted((o.name, o.status, o.rows) for o in report.outcomes) == [
        ("PAY.xml", "loaded", 1),
        ("RIG.xml", "loaded", 1),
    ]
    assert warehouse.execute("SELECT file_id, rows FROM raw.loaded_files ORDER BY 1").fetchall() == [
        ("P1", 1),
        ("R1", 1),
    ]


@pytest.mark.parametrize("native", ["1", "0"])
@pytest.mark.parametrize("kind", sorted(SMALL))
@pytest.mark.parametrize("form", ["open-and-close", "self-closing"])
def test_a_complete_file_with_zero_lines_loads_as_an_empty_file(home, warehouse, monkeypatch, native, kind, form):
    """CONTRACT §2 with the XSDs (``minOccurs="0"`` on the items): a whole file with no line is valid; it is
    recorded with 0 rows (its fileId is used) and archived, on both paths (the fast path vouches for it)."""
    monkeypatch.setenv("LWW_INGEST_NATIVE", native)
    text = payments_xml([], file_id="E0") if kind == "payments" else rights_xml([], file_id="E0")
    if form == "self-closing":
        text = re.sub(r">\s*</\w+>\s*$", "/>\n", text)
        assert text.rstrip().endswith('Z"/>')
    inbox = home.payments_inbox if kind == "payments" else home.rights_inbox
    drop(inbox, "empty.xml", text)
    [outcome] = ingest_inbox(warehouse, home, workers=1).outcomes
    assert (outcome.status, outcome.rows, outcome.fast) == ("loaded", 0, native == "1"), outcome.reason
    assert warehouse.execute("SELECT file_id, kind, rows FROM raw.loaded_files").fetchall() == [("E0", kind, 0)]
    assert outcome.destination is not None and outcome.destination.is_file()

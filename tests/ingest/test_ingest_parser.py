"""The streaming parser on small real-shaped files: every element, optional ones absent, exact values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from lxml import etree

from ingest import FileRejected, UpstreamFile, read_header
from ingest.parser import SOURCE_LINE, output_schema
from ingest.schemas import PAYMENTS, RIGHTS
from kernel.raw_tables import PAYMENT_LINES, RIGHT_EVENTS
from tests.ingest.ingest_builders import CPAS_A, drop, event, payment, payments_xml, rights_xml, ssin


def rows_of(path, **kwargs):
    upstream = UpstreamFile.open(path, **kwargs)
    batches = list(upstream.batches())
    return upstream, batches, pa.Table.from_batches(batches, schema=output_schema(upstream.kind)).to_pylist()


def test_payments_every_element_and_optional_ones_absent(tmp_path):
    full = payment(
        "L2", replacesLineId="L0", partnerSsin=ssin(2), decision="REJECTED", rejectionCode="R01", amount="0.05"
    )
    path = drop(tmp_path, "p.xml", payments_xml([payment("L1"), full], file_id="PAY-7"))
    upstream, batches, rows = rows_of(path)
    assert upstream.header.file_id == "PAY-7"
    assert upstream.header.reporting_month == dt.date(2026, 4, 1)
    assert batches[0].schema.remove(batches[0].schema.get_field_index(SOURCE_LINE)) == PAYMENT_LINES.arrow_schema
    first, second = rows
    assert first == {
        "file_id": "PAY-7", "line_no": 1, "line_id": "L1", "replaces_line_id": None,
        "pcsa_cbe_number": CPAS_A, "ssin": ssin(1), "partner_ssin": None, "allowance_type": "LIVING_WAGE",
        "household_category": 2, "begin_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 3, 31),
        "amount": Decimal("1314.20"), "payment_date": dt.date(2026, 3, 5), "acceptance_date": dt.date(2026, 3, 20),
        "decision": "ACCEPTED", "rejection_code": None, SOURCE_LINE: 3,
    }  # fmt: skip
    assert second["line_no"] == 2
    assert second["replaces_line_id"] == "L0"
    assert second["partner_ssin"] == ssin(2)
    assert second["rejection_code"] == "R01"
    assert second["amount"] == Decimal("0.05")
    assert second[SOURCE_LINE] == 3 + 12  # the first <line> spans 12 lines of XML


def test_rights_every_element_and_open_ended_period(tmp_path):
    open_ended = event("E2", rightId="R2", endDate=None, subsidyRequested="false", sequence="12")
    path = drop(tmp_path, "r.xml", rights_xml([event("E1"), open_ended]))
    upstream, batches, rows = rows_of(path)
    assert upstream.kind is RIGHTS
    assert batches[0].schema.remove(batches[0].schema.get_field_index(SOURCE_LINE)) == RIGHT_EVENTS.arrow_schema
    assert rows[0]["end_date"] == dt.date(2026, 12, 31)
    assert rows[0]["subsidy_requested"] is True
    assert rows[1]["end_date"] is None
    assert rows[1]["subsidy_requested"] is False
    assert rows[1]["sequence"] == 12
    assert rows[1]["registration_date"] == dt.date(2026, 2, 25)


def test_batches_are_cut_and_numbered_continuously(tmp_path):
    lines = [payment(f"L{i}") for i in range(1, 8)]
    path = drop(tmp_path, "p.xml", payments_xml(lines))
    _, batches, rows = rows_of(path, batch_rows=3)
    assert [b.num_rows for b in batches] == [3, 3, 1]
    assert [r["line_no"] for r in rows] == list(range(1, 8))
    assert [r["line_id"] for r in rows] == [f"L{i}" for i in range(1, 8)]


def test_an_empty_file_gives_no_rows(tmp_path):
    path = drop(tmp_path, "p.xml", payments_xml([]))
    _, _, rows = rows_of(path)
    assert rows == []


def test_a_prefixed_namespace_is_the_same_document(tmp_path):
    text = payments_xml([payment("L1")]).replace("<", "<p:").replace("<p:/", "</p:").replace("<p:?", "<?")
    text = text.replace(f'xmlns="{PAYMENTS.namespace}"', f'xmlns:p="{PAYMENTS.namespace}"')
    path = drop(tmp_path, "p.xml", text)
    _, _, rows = rows_of(path)
    assert rows[0]["line_id"] == "L1"


def test_the_builders_files_are_valid_against_the_full_xsd(tmp_path):
    text = payments_xml([payment("L1"), payment("L2", replacesLineId="L1", partnerSsin=ssin(3))])
    assert PAYMENTS.schema.validate(etree.fromstring(text.encode()))
    assert RIGHTS.schema.validate(etree.fromstring(rights_xml([event("E1", endDate=None)]).encode()))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "1314.205"),
        ("amount", "-1.00"),
        ("ssin", "8507300332"),
        ("pcsaCbeNumber", "2212345678"),
        ("acceptanceDate", "2026-02-30"),
        ("allowanceType", "HOLIDAY"),
        ("householdCategory", "4"),
        ("lineId", "x" * 37),
    ],
)
def test_a_value_breaking_the_xsd_names_line_and_field(tmp_path, field, value):
    path = drop(tmp_path, "p.xml", payments_xml([payment("L1"), payment("L2", **{field: value})]))
    with pytest.raises(FileRejected) as caught:
        rows_of(path)
    rejected = caught.value
    assert rejected.category == "schema"
    [violation] = rejected.violations
    assert violation.field.endswith(field)
    assert violation.value == value
    assert violation.line_no == 2
    assert violation.source_line == 15
    assert PAYMENTS.schema.validate(etree.parse(str(path))) is False  # the XSD agrees


def test_a_structural_error_is_located_by_the_diagnostic_pass(tmp_path):
    text = payments_xml([payment("L1"), payment("L2")])
    text = text.replace("<ssin>", "<unknown>x</unknown><ssin>", 2).replace("<unknown>x</unknown>", "", 1)
    path = drop(tmp_path, "p.xml", text)
    with pytest.raises(FileRejected) as caught:
        rows_of(path)
    violation = caught.value.violations[0]
    assert caught.value.category == "schema"
    assert violation.field == "unknown"
    assert violation.line_no == 2
    assert violation.source_line == 15 + 3  # the line of <unknown>


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace("<lineId>L1</lineId>", '<lineId a="1">L1</lineId>'),  # attribute
        lambda t: t.replace("<decision>", "text<decision>", 1),  # mixed content
        lambda t: t.replace("<amount>1314.20</amount>", "<amount>1314.20<b/></amount>", 1),  # nested leaf
        lambda t: t.replace("</paymentAcceptances>", "<other/></paymentAcceptances>"),  # stray element
        lambda t: t.replace('createdAt="2026-04-04T02:00:00Z"', 'createdAt="2026-04-04T02:00:00Z" x="1"'),
        lambda t: t.replace("<decision>ACCEPTED</decision>", ""),  # missing element
    ],
)
def test_every_structural_error_of_the_xsd_is_refused(tmp_path, mutate):
    path = drop(tmp_path, "p.xml", mutate(payments_xml([payment("L1")])))
    assert PAYMENTS.schema.validate(etree.parse(str(path))) is False
    with pytest.raises(FileRejected) as caught:
        rows_of(path)
    assert caught.value.category == "schema"
    assert "no line could be named" not in caught.value.violations[0].message
    assert caught.value.violations[0].source_line is not None


def test_header_is_read_from_the_root_start_tag_and_the_kind_must_match_the_inbox(tmp_path):
    path = drop(tmp_path, "r.xml", rights_xml([event()], file_id="RIG-9", created_at="2026-05-01T00:30:00+02:00"))
    header = read_header(path)
    assert (header.kind.name, header.file_id) == ("rights", "RIG-9")
    assert header.created_at == dt.datetime(2026, 4, 30, 22, 30)
    with pytest.raises(FileRejected, match="dropped in the payments inbox"):
        read_header(path, expected_kind="payments")


def test_a_missing_file_id_is_a_schema_error(tmp_path):
    path = drop(tmp_path, "p.xml", payments_xml([payment()]).replace('fileId="PAY-1" ', ""))
    with pytest.raises(FileRejected) as caught:
        read_header(path)
    assert caught.value.violations[0].field == "fileId"

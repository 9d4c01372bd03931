"""Property: the vectorised value checks derived from the XSD accept exactly what the XSD accepts (ASCII text;
XSD's ``\\d`` also matches other Unicode digits, which the checks refuse on purpose)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ingest.schemas import PAYMENTS, RIGHTS
from tests.ingest.ingest_builders import event, payment, payments_xml, rights_xml

SAMPLES = {
    "payments": (PAYMENTS, payments_xml, payment, {"decision": "REJECTED", "rejectionCode": "R01"}),
    "rights": (RIGHTS, rights_xml, event, {}),
}
FIELDS = [(kind, field) for kind, (spec, *_rest) in SAMPLES.items() for field in spec.fields]
ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=14)
SHAPED = st.from_regex(
    r"\A( ?[0-9]{1,11}(\.[0-9]{1,3})? ?|-?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}Z?|[A-Z_]{1,24}|true|false|[0-3]"
    r"|[!-~]{30,40})\Z"
)


def xsd_accepts(kind: str, field_path: str, value: str) -> bool:
    spec, build, item, extra = SAMPLES[kind]
    name = field_path.rsplit("/", 1)[-1]
    document = build([item(**{**extra, name: "\ue000"})]).replace("\ue000", escape(value))
    return spec.schema.validate(etree.fromstring(document.encode()))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FIELDS), ASCII | SHAPED)
def test_value_checks_agree_with_the_xsd(kind_field, value):
    kind, field = kind_field
    ours = field.value_type.check(pa.array([value], pa.string()))[0].as_py()
    assert ours == xsd_accepts(kind, field.path, value), (field.path, value)

"""Reading extract files back in the tests: records as dicts, XSD validation, the bytes without the timestamp."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lxml import etree

from service.extracts.xmlout import NAMESPACE, XSD

NS = {"e": NAMESPACE}


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def parse_valid(path: Path) -> etree._Element:
    """The file's root, after checking it against the project's XSD."""
    document = etree.parse(str(path))
    assert schema().validate(document), schema().error_log
    return document.getroot()


def finances_records(path: Path) -> dict[tuple[str, str], tuple]:
    """{(ssin, allowanceType): (annualAmount, monthsPaid, monthsWithoutAllowance, (pcsa, …), finalityStatus)}"""
    root = parse_valid(path)
    records = {}
    for r in root.iterfind("e:record", NS):
        key = (r.findtext("e:ssin", namespaces=NS), r.findtext("e:allowanceType", namespaces=NS))
        assert key not in records
        records[key] = (
            r.findtext("e:annualAmount", namespaces=NS),
            int(r.findtext("e:monthsPaid", namespaces=NS)),
            int(r.findtext("e:monthsWithoutAllowance", namespaces=NS)),
            tuple(x.text for x in r.iterfind("e:pcsaCbeNumber", NS)),
            r.findtext("e:finalityStatus", namespaces=NS),
        )
    return records


def statuses(path: Path) -> list[tuple]:
    """[(ssin, statusCode, begin, end, pcsa, householdCategory)] in file order."""
    root = parse_valid(path)
    return [
        (
            s.findtext("e:ssin", namespaces=NS),
            s.findtext("e:statusCode", namespaces=NS),
            s.findtext("e:period/e:beginDate", namespaces=NS),
            s.findtext("e:period/e:endDate", namespaces=NS),
            s.findtext("e:pcsaCbeNumber", namespaces=NS),
            int(s.findtext("e:householdCategory", namespaces=NS)),
        )
        for s in root.iterfind("e:status", NS)
    ]


def changes(path: Path) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """(the changes section's attributes, [(type, ssin, statusCode)])"""
    section = parse_valid(path).find("e:changes", NS)
    return dict(section.attrib), [
        (c.get("type"), c.findtext("e:ssin", namespaces=NS), c.findtext("e:statusCode", namespaces=NS))
        for c in section.iterfind("e:change", NS)
    ]


def control(path: Path) -> tuple[int, int, dict[str, str]]:
    block = parse_valid(path).find("e:control", NS)
    return (
        int(block.findtext("e:recordCount", namespaces=NS)),
        int(block.findtext("e:distinctSsinCount", namespaces=NS)),
        {t.get("allowanceType"): t.text for t in block.iterfind("e:totalAmount", NS)},
    )


def without_timestamp(path: Path) -> bytes:
    data = path.read_bytes()
    stamps = re.findall(rb"<fileCreationTimestamp>[^<]*</fileCreationTimestamp>", data)
    assert len(stamps) == 1
    return data.replace(stamps[0], b"<fileCreationTimestamp/>")

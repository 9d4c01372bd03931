"""The upstream files validate against the project's own XSDs (written by the ingest) and look as agreed."""

from __future__ import annotations

import re

from lxml import etree

from kernel.settings import PROJECT_ROOT

XSD = PROJECT_ROOT / "ingest" / "xsd"


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD / name)))


def test_payments_files_validate_against_the_xsd(small_run) -> None:
    schema = _schema("payments-v1.xsd")
    files = sorted(small_run.settings.payments_inbox.glob("*.xml"))
    assert len(files) == 15  # one per acceptance month 2024-01..2025-03
    for path in files:
        document = etree.parse(str(path))
        assert schema.validate(document), (path.name, schema.error_log.last_error)
        root = document.getroot()
        assert root.nsmap[None] == "urn:be:fgov:mi-is:lww:payments:v1"  # the default namespace
        assert path.name == f"{root.get('fileId')}.xml"


def test_rights_files_validate_against_the_xsd(small_run) -> None:
    schema = _schema("rights-v1.xsd")
    files = sorted(small_run.settings.rights_inbox.glob("*.xml"))
    assert len(files) == 15
    for path in files:
        document = etree.parse(str(path))
        assert schema.validate(document), (path.name, schema.error_log.last_error)
        assert document.getroot().nsmap[None] == "urn:be:fgov:mi-is:lww:rights:v1"


def test_file_ids_and_creation_follow_the_file_month(small_run) -> None:
    """The file of month M is PAY-M-nnn / RIG-M-nnn, created in the first days of M+1."""
    for folder, prefix in ((small_run.settings.payments_inbox, "PAY"), (small_run.settings.rights_inbox, "RIG")):
        for path in folder.glob("*.xml"):
            root = etree.parse(str(path)).getroot()
            match = re.fullmatch(rf"{prefix}-(\d{{4}})-(\d{{2}})-(\d{{3}})", root.get("fileId"))
            assert match, root.get("fileId")
            year, month = int(match[1]), int(match[2])
            created = root.get("createdAt")
            assert re.fullmatch(r"\d{4}-\d{2}-0[1-4]T\d{2}:\d{2}:\d{2}Z", created), created
            following = (year * 12 + month) + 1
            assert (int(created[:4]) * 12 + int(created[5:7])) == following


def test_no_partial_files_are_left_behind(small_run) -> None:
    leftovers = [p for p in small_run.settings.inbox.rglob("*") if p.is_file() and p.suffix != ".xml"]
    assert leftovers == []

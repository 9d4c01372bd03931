"""Reading the simulator's XML back with lxml, independently of the ingest, for the tests' checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from lxml import etree

PAYMENTS_NS = "urn:be:fgov:mi-is:lww:payments:v1"
RIGHTS_NS = "urn:be:fgov:mi-is:lww:rights:v1"


def _local(tag: str) -> str:
    return tag.split("}", 1)[1]


def _flatten(element: etree._Element) -> dict[str, str]:
    values: dict[str, str] = {}
    for child in element:
        if len(child):
            for grandchild in child:
                values[_local(grandchild.tag)] = grandchild.text
        else:
            values[_local(child.tag)] = child.text
    return values


def read_file(path: Path) -> tuple[etree._Element, list[dict[str, str]]]:
    """The root element and one dict per <line>/<event> (period flattened into beginDate/endDate)."""
    root = etree.parse(str(path)).getroot()
    return root, [_flatten(child) for child in root]


def payment_lines(folder: Path) -> list[dict]:
    """Every line of every payments file, typed, with its file id and 1-based position."""
    rows = []
    for path in sorted(folder.glob("*.xml")):
        root, lines = read_file(path)
        for number, line in enumerate(lines, start=1):
            rows.append(
                {
                    "file_id": root.get("fileId"),
                    "created_at": root.get("createdAt"),
                    "line_no": number,
                    "line_id": line["lineId"],
                    "replaces_line_id": line.get("replacesLineId"),
                    "pcsa_cbe_number": line["pcsaCbeNumber"],
                    "ssin": line["ssin"],
                    "partner_ssin": line.get("partnerSsin"),
                    "allowance_type": line["allowanceType"],
                    "household_category": int(line["householdCategory"]),
                    "begin_date": dt.date.fromisoformat(line["beginDate"]),
                    "end_date": dt.date.fromisoformat(line["endDate"]),
                    "amount": Decimal(line["amount"]),
                    "amount_text": line["amount"],
                    "payment_date": dt.date.fromisoformat(line["paymentDate"]),
                    "acceptance_date": dt.date.fromisoformat(line["acceptanceDate"]),
                    "decision": line["decision"],
                    "rejection_code": line.get("rejectionCode"),
                }
            )
    return rows


def right_events(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.xml")):
        root, events = read_file(path)
        for number, event in enumerate(events, start=1):
            end = event.get("endDate")
            rows.append(
                {
                    "file_id": root.get("fileId"),
                    "created_at": root.get("createdAt"),
                    "line_no": number,
                    "event_id": event["eventId"],
                    "right_id": event["rightId"],
                    "sequence": int(event["sequence"]),
                    "event_type": event["eventType"],
                    "ssin": event["ssin"],
                    "pcsa_cbe_number": event["pcsaCbeNumber"],
                    "category": event["category"],
                    "household_category": int(event["householdCategory"]),
                    "begin_date": dt.date.fromisoformat(event["beginDate"]),
                    "end_date": dt.date.fromisoformat(end) if end else None,
                    "application_date": dt.date.fromisoformat(event["applicationDate"]),
                    "decision_date": dt.date.fromisoformat(event["decisionDate"]),
                    "registration_date": dt.date.fromisoformat(event["registrationDate"]),
                    "subsidy_requested": {"true": True, "false": False}[event["subsidyRequested"]],
                }
            )
    return rows

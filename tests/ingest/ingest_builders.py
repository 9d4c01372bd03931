"""Tiny real-shaped upstream files for the ingest tests (ingest knows nothing of the simulator)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from kernel.identifiers import cbe_with_check, ssin_with_check

PAYMENTS_NS = "urn:be:fgov:mi-is:lww:payments:v1"
RIGHTS_NS = "urn:be:fgov:mi-is:lww:rights:v1"

CPAS_A = cbe_with_check(2_123_456)
CPAS_B = cbe_with_check(2_123_457)
UNKNOWN_CPAS = cbe_with_check(2_999_999)


def ssin(n: int) -> str:
    """A valid SSIN, distinct for n in 1..998."""
    return ssin_with_check("850730", n, born_from_2000=False)


PAYMENT_ORDER = (
    "lineId",
    "replacesLineId",
    "pcsaCbeNumber",
    "ssin",
    "partnerSsin",
    "allowanceType",
    "householdCategory",
    "period",
    "amount",
    "paymentDate",
    "acceptanceDate",
    "decision",
    "rejectionCode",
)
RIGHT_ORDER = (
    "eventId",
    "rightId",
    "sequence",
    "eventType",
    "ssin",
    "pcsaCbeNumber",
    "category",
    "householdCategory",
    "period",
    "applicationDate",
    "decisionDate",
    "registrationDate",
    "subsidyRequested",
)


def payment(line_id: str = "L1", **fields) -> dict:
    base = {
        "lineId": line_id,
        "pcsaCbeNumber": CPAS_A,
        "ssin": ssin(1),
        "allowanceType": "LIVING_WAGE",
        "householdCategory": "2",
        "beginDate": "2026-03-01",
        "endDate": "2026-03-31",
        "amount": "1314.20",
        "paymentDate": "2026-03-05",
        "acceptanceDate": "2026-03-20",
        "decision": "ACCEPTED",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def event(event_id: str = "E1", **fields) -> dict:
    base = {
        "eventId": event_id,
        "rightId": "R1",
        "sequence": "1",
        "eventType": "CREATE",
        "ssin": ssin(1),
        "pcsaCbeNumber": CPAS_A,
        "category": "LIVING_WAGE",
        "householdCategory": "2",
        "beginDate": "2026-03-01",
        "endDate": "2026-12-31",
        "applicationDate": "2026-02-01",
        "decisionDate": "2026-02-20",
        "registrationDate": "2026-02-25",
        "subsidyRequested": "true",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def _item(tag: str, order: tuple[str, ...], fields: dict) -> str:
    parts = [f"  <{tag}>"]
    for name in order:
        if name == "period":
            inner = "".join(f"<{d}>{escape(fields[d])}</{d}>" for d in ("beginDate", "endDate") if d in fields)
            parts.append(f"    <period>{inner}</period>")
        elif name in fields:
            parts.append(f"    <{name}>{escape(fields[name])}</{name}>")
    parts.append(f"  </{tag}>")
    return "\n".join(parts)


def payments_xml(lines: list[dict], file_id: str = "PAY-1", created_at: str = "2026-04-04T02:00:00Z") -> str:
    body = "\n".join(_item("line", PAYMENT_ORDER, line) for line in lines)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<paymentAcceptances xmlns="{PAYMENTS_NS}" fileId="{file_id}" createdAt="{created_at}">\n'
        f"{body}\n</paymentAcceptances>\n"
    )


def rights_xml(events: list[dict], file_id: str = "RIG-1", created_at: str = "2026-04-04T02:00:00Z") -> str:
    body = "\n".join(_item("event", RIGHT_ORDER, e) for e in events)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rightEvents xmlns="{RIGHTS_NS}" fileId="{file_id}" createdAt="{created_at}">\n'
        f"{body}\n</rightEvents>\n"
    )


def drop(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_pcsa(reference: Path, cbes: tuple[str, ...] = (CPAS_A, CPAS_B)) -> Path:
    rows = ["cbe_number,nis_code,name_fr,name_nl,region"]
    rows += [f"{cbe},{21000 + i},CPAS {i},OCMW {i},BRUSSELS" for i, cbe in enumerate(cbes, start=1)]
    return drop(reference, "pcsa.csv", "\n".join(rows) + "\n")

"""The wire format of LivingWagesNotifications (CONTRACT §6), both sides.

We send ``livingWagesNotification`` (SOAP 1.1, document/literal, local elements unqualified as in the rest of the
CBSS family) and read ``livingWagesNotificationResponse``; the reference subscriber does the opposite. Both
parse with the project's safe parser (``kernel.xmlsafe``: no DTD, no entities, no network). The schema a
subscriber implements is ``service/schemas/LivingWagesNotificationServiceV1.wsdl``; the tests validate what is
built here against it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from kernel import xmlsafe

NAMESPACE = "http://kszbcss.fgov.be/intf/LivingWagesNotificationService/v1"
SOAP_ACTION = "http://kszbcss.fgov.be/LivingWagesNotificationService/notifyLivingWage"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"

_ENVELOPE_START = f'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
_ENVELOPE_END = "</soapenv:Body></soapenv:Envelope>"


def timestamp(moment: dt.datetime | None = None) -> str:
    """An xs:dateTime in UTC with milliseconds."""
    return (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape(str(value))


def notification(row: dict[str, Any], *, sent: dt.datetime | None = None) -> bytes:
    """The SOAP request for one due notification (a row of the store); the attestation only when the
    subscriber receives it (``with_attestation``)."""
    parts = [
        _ENVELOPE_START,
        f'<ns:livingWagesNotification xmlns:ns="{NAMESPACE}">',
        f"<informationNotificationCBSS><ticketCBSS>{_text(row['ticket'])}</ticketCBSS>",
        f"<timestampSent>{timestamp(sent)}</timestampSent></informationNotificationCBSS>",
        "<informationNotified><notifiedIdentification>",
        f"<cbeNumber>{_text(row['recipient'])}</cbeNumber></notifiedIdentification></informationNotified>",
        f"<ssin>{_text(row['ssin'])}</ssin>",
        f"<event><type>{_text(row['event_type'])}</type><rightId>{_text(row['right_id'])}</rightId>",
        f"<sequence>{int(row['sequence'])}</sequence>",
        f"<registrationDate>{_text(row['registration_date'])}</registrationDate></event>",
    ]
    if row["with_attestation"]:
        end = row.get("end_date")
        parts += [
            f"<attestation><attestationStatus>{int(row['attestation_status'])}</attestationStatus>",
            f"<pcsaCbeNumber>{_text(row['pcsa_cbe_number'])}</pcsaCbeNumber>",
            f"<category>{_text(row['category'])}</category>",
            f"<householdCategory>{int(row['household_category'])}</householdCategory>",
            f"<period><beginDate>{_text(row['begin_date'])}</beginDate>",
            f"<endDate>{_text(end)}</endDate>" if end else "",
            "</period>",
            f"<decisionDate>{_text(row['decision_date'])}</decisionDate></attestation>",
        ]
    parts += ["</ns:livingWagesNotification>", _ENVELOPE_END]
    return "".join(parts).encode("utf-8")


@dataclass(frozen=True)
class Answer:
    """What a subscriber answered, as far as the notifier cares."""

    value: str  # OK | NOK | FAULT
    code: str = ""
    description: str = ""
    ticket: str = ""  # the ticketCBSS it echoed

    def summary(self) -> str:
        return " ".join(part for part in (self.value, self.code, self.description) if part)[:300]


class BadAnswer(ValueError):
    """The subscriber's answer is not a notification response (or not XML): no proof of delivery."""


def _child_text(element, name: str) -> str:
    child = element.find(name)
    return (child.text or "").strip() if child is not None else ""


def parse_answer(body: bytes) -> Answer:
    """The subscriber's answer, from its bytes: a ``livingWagesNotificationResponse`` or a SOAP fault."""
    try:
        root = xmlsafe.parse(body)
    except xmlsafe.UnsafeXml as error:
        raise BadAnswer(str(error)) from None
    envelope_body = root.find(f"{{{SOAP_ENV}}}Body")
    if root.tag != f"{{{SOAP_ENV}}}Envelope" or envelope_body is None or len(envelope_body) == 0:
        raise BadAnswer("not a SOAP 1.1 envelope with a body")
    payload = envelope_body[0]
    if payload.tag == f"{{{SOAP_ENV}}}Fault":
        return Answer("FAULT", _child_text(payload, "faultcode"), _child_text(payload, "faultstring"))
    if payload.tag != f"{{{NAMESPACE}}}livingWagesNotificationResponse":
        raise BadAnswer(f"unexpected answer element {payload.tag}")
    status = payload.find("status")
    if status is None:
        raise BadAnswer("the answer has no status")
    value = _child_text(status, "value")
    if value not in ("OK", "NOK"):
        raise BadAnswer(f"status value {value!r} is neither OK nor NOK")
    echoed = payload.find("informationNotificationCBSS")
    ticket = _child_text(echoed, "ticketCBSS") if echoed is not None else ""
    return Answer(value, _child_text(status, "code"), _child_text(status, "description"), ticket)


# The subscriber's side.


@dataclass(frozen=True)
class Received:
    """A notification as a subscriber reads it."""

    ticket: str
    timestamp_sent: str
    recipient: str
    ssin: str
    event_type: str
    right_id: str
    sequence: int
    registration_date: str
    attestation: dict[str, str] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticketCBSS": self.ticket,
            "timestampSent": self.timestamp_sent,
            "cbeNumber": self.recipient,
            "ssin": self.ssin,
            "type": self.event_type,
            "rightId": self.right_id,
            "sequence": self.sequence,
            "registrationDate": self.registration_date,
            "attestation": self.attestation,
        }


def parse_notification(body: bytes) -> Received:
    """A ``livingWagesNotification`` request, or :class:`BadAnswer` (here: a bad request) saying why."""
    try:
        root = xmlsafe.parse(body)
    except xmlsafe.UnsafeXml as error:
        raise BadAnswer(str(error)) from None
    envelope_body = root.find(f"{{{SOAP_ENV}}}Body")
    if envelope_body is None or len(envelope_body) == 0:
        raise BadAnswer("not a SOAP 1.1 envelope with a body")
    payload = envelope_body[0]
    if payload.tag != f"{{{NAMESPACE}}}livingWagesNotification":
        raise BadAnswer(f"unexpected element {payload.tag}")
    info = payload.find("informationNotificationCBSS")
    event = payload.find("event")
    notified = payload.find("informationNotified/notifiedIdentification")
    if info is None or event is None or notified is None:
        raise BadAnswer("informationNotificationCBSS, informationNotified and event are required")
    ticket = _child_text(info, "ticketCBSS")
    if not ticket:
        raise BadAnswer("no ticketCBSS")
    attestation = payload.find("attestation")
    fields = None
    if attestation is not None:
        fields = {child.tag: (child.text or "").strip() for child in attestation if child.tag != "period"}
        period = attestation.find("period")
        if period is not None:
            fields["beginDate"] = _child_text(period, "beginDate")
            fields["endDate"] = _child_text(period, "endDate")
    try:
        sequence = int(_child_text(event, "sequence"))
    except ValueError:
        raise BadAnswer("event/sequence is not a whole number") from None
    return Received(
        ticket=ticket,
        timestamp_sent=_child_text(info, "timestampSent"),
        recipient=_child_text(notified, "cbeNumber"),
        ssin=_child_text(payload, "ssin"),
        event_type=_child_text(event, "type"),
        right_id=_child_text(event, "rightId"),
        sequence=sequence,
        registration_date=_child_text(event, "registrationDate"),
        attestation=fields,
    )


def response(ticket: str, timestamp_sent: str, value: str, code: str, description: str = "") -> bytes:
    """The subscriber's ``livingWagesNotificationResponse``."""
    desc = f"<description>{escape(description)}</description>" if description else ""
    return (
        f'{_ENVELOPE_START}<ns:livingWagesNotificationResponse xmlns:ns="{NAMESPACE}">'
        f"<informationNotificationCBSS><ticketCBSS>{escape(ticket)}</ticketCBSS>"
        f"<timestampSent>{escape(timestamp_sent)}</timestampSent></informationNotificationCBSS>"
        f"<informationNotified><timestampReply>{timestamp()}</timestampReply></informationNotified>"
        f"<status><value>{value}</value><code>{escape(code)}</code>{desc}</status>"
        f"</ns:livingWagesNotificationResponse>{_ENVELOPE_END}"
    ).encode()


def fault(faultcode: str, faultstring: str) -> bytes:
    """A SOAP 1.1 fault (the subscriber's answer to a request it cannot read)."""
    return (
        f"{_ENVELOPE_START}<soapenv:Fault><faultcode>{escape(faultcode)}</faultcode>"
        f"<faultstring>{escape(faultstring)}</faultstring></soapenv:Fault>{_ENVELOPE_END}"
    ).encode()

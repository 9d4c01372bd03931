"""SOAP 1.1 document/literal on lxml: reading requests, writing responses and faults, for every SOAP channel.

:class:`SoapChannel` is what the SOAP services share (the envelope, ``informationCustomer`` and ``criteria``
echoed, ``informationCBSS``, ``status``, faults); each service's channel adds the elements of its answer
(``living_wages``, ``with_amount``).

Request and response elements live in the interface namespace; everything under them is unqualified
(``elementFormDefault="unqualified"``), as in the CBSS family. The request's ``informationCustomer`` and
``criteria`` are echoed as received (after schema validation), so the caller gets back exactly what it sent.
"""

from __future__ import annotations

import abc
import copy
import datetime as dt
import functools
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from kernel import xmlsafe
from kernel.calendar import BRUSSELS
from service.consult import Answer, Consultation
from service.pipeline import Fault, Incoming, Invalid, Reply
from service.schemas import SOAP_ENV, ServiceSpec, validator

AUTHOR_CODE = "SPPIS-LWW"  # who produced a fault: this service
_DIAGNOSTIC_MAX = 256


XML = "text/xml; charset=utf-8"


@dataclass
class SoapRequest:
    operation: str
    payload: etree._Element
    consultation: Consultation

    @property
    def information_customer(self) -> etree._Element | None:
        return self.payload.find("informationCustomer")


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(BRUSSELS).isoformat(timespec="milliseconds")


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text is not None else None


_ACTOR_NEXT = "http://schemas.xmlsoap.org/soap/actor/next"


def _check_header(root: etree._Element) -> None:
    """SOAP 1.1 section 4.2.3: a header block addressed to this service (no actor, or the ``next`` one) with
    ``mustUnderstand="1"`` is a ``MustUnderstand`` fault: this service understands no header block."""
    header = root.find(f"{{{SOAP_ENV}}}Header")
    if header is None:
        return
    for block in header:
        if not isinstance(block.tag, str):
            continue
        actor = block.get(f"{{{SOAP_ENV}}}actor")
        if actor not in (None, _ACTOR_NEXT):
            continue
        must = (block.get(f"{{{SOAP_ENV}}}mustUnderstand") or "0").strip()
        if must in ("1", "true"):
            raise Invalid(f"header block {etree.QName(block).text} is not understood", soap_code="MustUnderstand")


def read_request(spec: ServiceSpec, root: etree._Element, soap_action: str | None) -> SoapRequest:
    """The operation and consultation of an envelope, validated against the endpoint's schema."""
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        if etree.QName(root).localname == "Envelope":  # SOAP 1.2's, or another namespace: SOAP 1.1 section 4.4.1
            raise Invalid(
                f"the Envelope's namespace is {etree.QName(root).namespace or 'none'}: this service speaks SOAP 1.1 "
                f"({SOAP_ENV})",
                soap_code="VersionMismatch",
            )
        raise Invalid("the root element is not a SOAP 1.1 Envelope")
    _check_header(root)
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise Invalid("the SOAP Envelope has no Body")
    children = [child for child in body if isinstance(child.tag, str)]
    if len(children) != 1:
        raise Invalid("the SOAP Body must hold exactly one request element")
    payload = children[0]
    qname = etree.QName(payload)
    operation = qname.localname[: -len("Request")] if qname.localname.endswith("Request") else ""
    if qname.namespace != spec.interface_ns or operation not in spec.operations:
        raise Invalid(f"{qname.text} is not a request of {spec.name}Service {spec.version}")
    action = (soap_action or "").strip().strip('"')
    if action and action != spec.soap_action(operation):
        raise Invalid(f"SOAPAction {action} does not match the operation {operation}")
    schema = validator(spec)
    if not schema.validate(payload):
        error = schema.error_log.last_error
        where = f"line {error.line}: " if error is not None else ""
        message = error.message if error is not None else "invalid"
        raise Invalid(f"XSD validation failed, {where}{message}")
    return SoapRequest(operation, payload, consultation(spec, operation, payload))


_XS_DATE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})")


def xs_date(text: str) -> dt.date | None:
    """The date of a schema-valid ``xs:date`` (its time zone, if any, ignored), or None when its year is outside
    1..9999: ``xs:date`` allows years of five digits and more and negative years, which no answer can hold."""
    match = _XS_DATE.match(text)
    if match is None:
        return None
    year = int(match[1])
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return None
    try:
        return dt.date(year, int(match[2]), int(match[3]))
    except ValueError:
        return None


def consultation(spec: ServiceSpec, operation: str, payload: etree._Element) -> Consultation:
    begin_text = _text(payload, "criteria/period/beginDate") or ""
    end_text = _text(payload, "criteria/period/endDate")
    begin = xs_date(begin_text)
    end = xs_date(end_text) if end_text else None
    date_error = None
    if begin is None:
        date_error = ("beginDate", begin_text)
    elif end_text and end is None:
        date_error = ("endDate", end_text)
    return Consultation(
        service=spec.name,
        version=spec.version,
        operation=operation,
        cbe_number=_text(payload, "informationCustomer/customerIdentification/cbeNumber"),
        legal_context=_text(payload, "legalContext") or "",
        ssin=_text(payload, "criteria/ssin") or "",
        begin=begin,
        end=end,
        date_error=date_error,
        person_role=_text(payload, "criteria/personRole") or "BENEFICIARY",
        grouping=_text(payload, "criteria/grouping"),
        ticket=_text(payload, "informationCustomer/ticket"),
    )


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    return envelope, etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")


def _information_cbss(parent: etree._Element, ticket_cbss: str, received: dt.datetime) -> None:
    info = _sub(parent, "informationCBSS")
    _sub(info, "ticketCBSS", ticket_cbss)
    _sub(info, "timestampReceive", timestamp(received))
    _sub(info, "timestampReply", timestamp(dt.datetime.now(dt.UTC)))


def _strip(element: etree._Element) -> etree._Element:
    """A copy without the whitespace of the request's indentation."""
    clone = copy.deepcopy(element)
    for node in clone.iter():
        if len(node):
            node.text = None
        node.tail = None
    clone.tail = None
    return clone


def _echo(element: etree._Element) -> str:
    """``element`` as received: the safe parser drops the indentation between elements (``xmlsafe``)."""
    return etree.tostring(element, encoding="unicode", with_tail=False)


@functools.lru_cache(maxsize=65536)
def period_xml(tag: str, period: tuple[dt.date, dt.date]) -> str:
    """A period element; cached: the same periods (whole months, mostly) come back in every answer."""
    return f"<{tag}><beginDate>{period[0].isoformat()}</beginDate><endDate>{period[1].isoformat()}</endDate></{tag}>"


def soap_fault(
    spec: ServiceSpec,
    *,
    server: bool,
    reason_code: str,
    diagnostic: str,
    ticket_cbss: str,
    received: dt.datetime,
    information_customer: etree._Element | None = None,
    soap_code: str | None = None,
) -> bytes:
    """A SOAP 1.1 Fault whose detail is the endpoint's fault element (``com:CBSSFaultType``); its faultcode is
    ``soap_code`` when given (VersionMismatch, MustUnderstand), else Server or Client."""
    envelope, body = _envelope()
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    _sub(element, "faultcode", f"soapenv:{soap_code or ('Server' if server else 'Client')}")
    _sub(element, "faultstring", diagnostic[:_DIAGNOSTIC_MAX])
    detail = _sub(element, "detail")
    cbss = etree.SubElement(detail, f"{{{spec.interface_ns}}}{spec.fault_element}", nsmap={"intf": spec.interface_ns})
    if information_customer is not None:
        cbss.append(_strip(information_customer))
    _information_cbss(cbss, ticket_cbss, received)
    message = _sub(cbss, "detail")
    _sub(message, "severity", "FATAL")
    _sub(message, "reasonCode", reason_code)
    _sub(message, "diagnostic", diagnostic[:_DIAGNOSTIC_MAX])
    _sub(message, "authorCode", AUTHOR_CODE)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


class SoapChannel(abc.ABC):
    """A SOAP endpoint (``spec``): parse, render, fault. Subclasses write the elements of their answers."""

    name = "SOAP"
    invalid_status = 500  # SOAP 1.1: a fault is sent with HTTP 500, soap:Client included
    media_types = ("text/xml",)  # SOAP 1.1 over HTTP (a SOAP 1.2 client sends application/soap+xml: 415)

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec

    def operation(self, incoming: Incoming) -> str | None:
        action = (incoming.action or "").strip().strip('"').rsplit("/", 1)[-1]
        return action if action in self.spec.operations else None

    def parse(self, incoming: Incoming) -> SoapRequest:
        try:
            root = xmlsafe.parse(incoming.body)
        except xmlsafe.UnsafeXml as error:
            raise Invalid(str(error)) from None
        return read_request(self.spec, root, incoming.action)

    def render(self, parsed: SoapRequest, answer: Answer, ticket_cbss: str, received: dt.datetime) -> Reply:
        """The response envelope, written as text: the hot path of the service, measured faster than building an
        lxml tree for a 10-year answer (``bench/README.md``). Every value is escaped or comes from a closed
        vocabulary; the tests validate these responses against the project's XSDs."""
        payload = parsed.payload
        operation = parsed.operation
        status = answer.status
        parts = [
            "<?xml version='1.0' encoding='UTF-8'?>\n",
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>',
            f'<intf:{operation}Response xmlns:intf="{self.spec.interface_ns}">',
            _echo(payload.find("informationCustomer")),
            f"<informationCBSS><ticketCBSS>{ticket_cbss}</ticketCBSS>",
            f"<timestampReceive>{timestamp(received)}</timestampReceive>",
            f"<timestampReply>{timestamp(dt.datetime.now(dt.UTC))}</timestampReply></informationCBSS>",
            f"<legalContext>{escape(_text(payload, 'legalContext') or '')}</legalContext>",
            _echo(payload.find("criteria")),
            f"<status><value>{status.value}</value><code>{status.code}</code>",
            f"<description>{escape(status.description)}</description>",
        ]
        for name, value in status.information[:15]:
            parts.append(f"<information><fieldName>{escape(name)}</fieldName>")
            if value is not None:
                parts.append(f"<fieldValue>{escape(value[:256])}</fieldValue>")
            parts.append("</information>")
        parts.append("</status>")
        self.write_answer(parts, operation, answer)
        parts.append(f"</intf:{operation}Response></soapenv:Body></soapenv:Envelope>")
        return Reply(200, "".join(parts).encode("utf-8"), XML)

    @abc.abstractmethod
    def write_answer(self, parts: list[str], operation: str, answer: Answer) -> None:
        """Append the elements of ``answer`` that follow ``status`` in the response of ``operation`` (each service's
        channel writes its own payload)."""

    def fault(self, fault: Fault, ticket_cbss: str, received: dt.datetime, parsed: SoapRequest | None) -> Reply:
        content = soap_fault(
            self.spec,
            server=fault.server,
            reason_code=fault.code,
            diagnostic=fault.diagnostic,
            ticket_cbss=ticket_cbss,
            received=received,
            information_customer=parsed.information_customer if parsed is not None else None,
            soap_code=fault.soap_code,
        )
        return Reply(fault.http_status, content, XML)

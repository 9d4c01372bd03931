"""SOAP 1.1 document/literal on lxml: reading requests, writing responses and faults.

Request and response elements live in the interface namespace; everything under them is unqualified
(``elementFormDefault="unqualified"``), as in the CBSS family. The request's ``informationCustomer`` and
``criteria`` are echoed as received (after schema validation), so the caller gets back exactly what it sent.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from lxml import etree

from kernel.calendar import BRUSSELS
from service.consult import Answer, Consultation
from service.schemas import SOAP_ENV, ServiceSpec, validator

AUTHOR_CODE = "SPPIS-LWW"  # who produced a fault: this service
_DIAGNOSTIC_MAX = 256


class ClientFault(Exception):
    """The request is not a SOAP envelope of this endpoint, or breaks the schema (soap:Client, HTTP 500)."""

    def __init__(self, diagnostic: str, reason_code: str = "MSG00008", information_customer=None):
        super().__init__(diagnostic)
        self.diagnostic = diagnostic
        self.reason_code = reason_code
        self.information_customer = information_customer


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


def read_request(spec: ServiceSpec, root: etree._Element, soap_action: str | None) -> SoapRequest:
    """The operation and consultation of an envelope, validated against the endpoint's schema."""
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise ClientFault("the root element is not a SOAP 1.1 Envelope")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise ClientFault("the SOAP Envelope has no Body")
    children = [child for child in body if isinstance(child.tag, str)]
    if len(children) != 1:
        raise ClientFault("the SOAP Body must hold exactly one request element")
    payload = children[0]
    qname = etree.QName(payload)
    operation = qname.localname[: -len("Request")] if qname.localname.endswith("Request") else ""
    if qname.namespace != spec.interface_ns or operation not in spec.operations:
        raise ClientFault(f"{qname.text} is not a request of {spec.name}Service {spec.version}")
    action = (soap_action or "").strip().strip('"')
    if action and action != spec.soap_action(operation):
        raise ClientFault(f"SOAPAction {action} does not match the operation {operation}")
    schema = validator(spec)
    if not schema.validate(payload):
        error = schema.error_log.last_error
        where = f"line {error.line}: " if error is not None else ""
        message = error.message if error is not None else "invalid"
        raise ClientFault(f"XSD validation failed, {where}{message}", information_customer=None)
    return SoapRequest(operation, payload, consultation(spec, operation, payload))


def consultation(spec: ServiceSpec, operation: str, payload: etree._Element) -> Consultation:
    end = _text(payload, "criteria/period/endDate")
    return Consultation(
        service=spec.name,
        operation=operation,
        cbe_number=_text(payload, "informationCustomer/customerIdentification/cbeNumber"),
        legal_context=_text(payload, "legalContext") or "",
        ssin=_text(payload, "criteria/ssin") or "",
        begin=dt.date.fromisoformat(_text(payload, "criteria/period/beginDate")[:10]),
        end=dt.date.fromisoformat(end[:10]) if end else None,
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


def _period(parent: etree._Element, tag: str, period: tuple[dt.date, dt.date]) -> None:
    element = _sub(parent, tag)
    _sub(element, "beginDate", period[0].isoformat())
    _sub(element, "endDate", period[1].isoformat())


def _strip(element: etree._Element) -> etree._Element:
    """A copy without the whitespace of the request's indentation."""
    clone = copy.deepcopy(element)
    for node in clone.iter():
        if len(node):
            node.text = None
        node.tail = None
    clone.tail = None
    return clone


def response(spec: ServiceSpec, request: SoapRequest, answer: Answer, ticket_cbss: str, received: dt.datetime) -> bytes:
    envelope, body = _envelope()
    out = etree.SubElement(
        body, f"{{{spec.interface_ns}}}{request.operation}Response", nsmap={"intf": spec.interface_ns}
    )
    payload = request.payload
    out.append(_strip(payload.find("informationCustomer")))
    _information_cbss(out, ticket_cbss, received)
    _sub(out, "legalContext", _text(payload, "legalContext"))
    out.append(_strip(payload.find("criteria")))
    status = _sub(out, "status")
    _sub(status, "value", answer.status.value)
    _sub(status, "code", answer.status.code)
    _sub(status, "description", answer.status.description)
    for name, value in answer.status.information[:15]:
        info = _sub(status, "information")
        _sub(info, "fieldName", name)
        if value is not None:
            _sub(info, "fieldValue", value[:256])
    if spec.name == "LivingWagesWithAmount":
        _amounts(out, answer)
    elif request.operation.startswith("getLivingWagePeriodsPerPCSA"):
        for (pcsa,), spans in answer.groups:
            group = _sub(out, "livingWagePeriodsPerPCSA")
            _sub(group, "pcsaCbeNumber", pcsa)
            for span in spans:
                _period(group, "livingWagePeriod", span)
    elif request.operation == "getLivingWages":
        for (pcsa, category), spans in answer.groups:
            group = _sub(out, "livingWages")
            _sub(group, "pcsaCbeNumber", pcsa)
            _sub(group, "category", category)
            for span in spans:
                _period(group, "livingWagePeriod", span)
    else:
        for span in answer.periods:
            _period(out, "livingWagePeriod", span)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _amounts(out: etree._Element, answer: Answer) -> None:
    if answer.reference_date is not None:
        _sub(out, "referenceDate", answer.reference_date.isoformat())
    if answer.last_month_is_last_indemnified is not None:
        _sub(out, "lastMonthIsLastIndemnified", "true" if answer.last_month_is_last_indemnified else "false")
    for row in answer.amounts:
        element = _sub(out, "amount")
        if row.month is not None:
            _sub(element, "month", f"{row.month.year:04d}-{row.month.month:02d}")
        else:
            _sub(element, "year", f"{row.year:04d}")
        _sub(element, "pcsaCbeNumber", row.pcsa_cbe_number)
        _sub(element, "allowanceType", row.allowance_type)
        _sub(element, "householdCategory", str(row.household_category))
        if row.beneficiary_ssin is not None:
            _sub(element, "beneficiarySsin", row.beneficiary_ssin)
        if row.partner_ssin is not None:
            _sub(element, "partnerSsin", row.partner_ssin)
        for span in row.grant_periods:
            _period(element, "grantPeriod", span)
        _sub(element, "amount", f"{row.amount:.2f}")
        _sub(element, "coversWholePeriod", "true" if row.covers_whole_period else "false")
        _sub(element, "finalityStatus", row.finality_status)


def fault(
    spec: ServiceSpec,
    *,
    server: bool,
    reason_code: str,
    diagnostic: str,
    ticket_cbss: str,
    received: dt.datetime,
    information_customer: etree._Element | None = None,
) -> bytes:
    """A SOAP 1.1 Fault whose detail is the endpoint's fault element (``com:CBSSFaultType``)."""
    envelope, body = _envelope()
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    _sub(element, "faultcode", "soapenv:Server" if server else "soapenv:Client")
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

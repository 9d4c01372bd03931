"""SOAP 1.1 document/literal on lxml: reading requests, writing responses and faults.

Request and response elements live in the interface namespace; everything under them is unqualified
(``elementFormDefault="unqualified"``), as in the CBSS family. The request's ``informationCustomer`` and
``criteria`` are echoed as received (after schema validation), so the caller gets back exactly what it sent.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from lxml import etree

from kernel.calendar import BRUSSELS
from service.consult import AmountRows, Answer, Consultation
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
def _period_xml(tag: str, period: tuple[dt.date, dt.date]) -> str:
    """Cached: the same periods (whole months, mostly) come back in every answer."""
    return f"<{tag}><beginDate>{period[0].isoformat()}</beginDate><endDate>{period[1].isoformat()}</endDate></{tag}>"


def response(spec: ServiceSpec, request: SoapRequest, answer: Answer, ticket_cbss: str, received: dt.datetime) -> bytes:
    """The response envelope, written as text: the hot path of the service, measured several times faster than
    building an lxml tree for a 10-year answer. Every value is escaped or comes from a closed vocabulary; the
    tests validate these responses against the project's XSDs."""
    payload = request.payload
    operation = request.operation
    status = answer.status
    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>\n",
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>',
        f'<intf:{operation}Response xmlns:intf="{spec.interface_ns}">',
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
    if spec.name == "LivingWagesWithAmount":
        _amounts(parts, answer)
    elif operation.startswith("getLivingWagePeriodsPerPCSA"):
        for (pcsa,), spans in answer.groups:
            parts.append(f"<livingWagePeriodsPerPCSA><pcsaCbeNumber>{escape(pcsa)}</pcsaCbeNumber>")
            parts.extend(_period_xml("livingWagePeriod", span) for span in spans)
            parts.append("</livingWagePeriodsPerPCSA>")
    elif operation == "getLivingWages":
        for (pcsa, category), spans in answer.groups:
            parts.append(f"<livingWages><pcsaCbeNumber>{escape(pcsa)}</pcsaCbeNumber>")
            parts.append(f"<category>{escape(category)}</category>")
            parts.extend(_period_xml("livingWagePeriod", span) for span in spans)
            parts.append("</livingWages>")
    else:
        parts.extend(_period_xml("livingWagePeriod", span) for span in answer.periods)
    parts.append(f"</intf:{operation}Response></soapenv:Body></soapenv:Envelope>")
    return "".join(parts).encode("utf-8")


_MEMO_LIMIT = 100_000  # pieces kept per index and kind (bounded: grant periods vary with people)


def _amounts(parts: list[str], answer: Answer) -> None:
    if answer.reference_date is not None:
        parts.append(f"<referenceDate>{answer.reference_date.isoformat()}</referenceDate>")
    if answer.last_month_is_last_indemnified is not None:
        flag = "true" if answer.last_month_is_last_indemnified else "false"
        parts.append(f"<lastMonthIsLastIndemnified>{flag}</lastMonthIsLastIndemnified>")
    if answer.amounts:
        amount_rows(parts, answer.amounts)


def _memo(index, kind: str) -> dict:
    found = index.memo.get(kind)
    if found is None or len(found) > _MEMO_LIMIT:
        found = index.memo[kind] = {}
    return found


def amount_rows(parts: list[str], rows: AmountRows) -> None:
    """The ``<amount>`` elements of ``rows``, written from the stored values: each distinct piece (a month, a
    CPAS with its allowance and category, a grant period, an amount with its flags) is rendered once per index
    and kept, so a row costs a few dictionary lookups (column by column: measured faster than row by row)."""
    index = rows.index
    opens, heads, grants, tails = (_memo(index, kind) for kind in ("open", "head", "grant", "tail"))
    text, day = index.text, index.day

    def open_piece(period: int) -> str:
        month = f"<amount><month>{_month(day(period))}</month>"
        piece = opens[period] = f"<amount><year>{period:04d}</year>" if rows.yearly else month
        return piece

    def head_piece(key: tuple[int, int, int]) -> str:
        piece = heads[key] = _row_head(text(AmountRows.PCSA, key[0]), text(AmountRows.ALLOWANCE, key[1]), key[2])
        return piece

    def grant_piece(span: tuple[int, int]) -> str:
        piece = grants[span] = _period_xml("grantPeriod", (day(span[0]), day(span[1])))
        return piece

    def tail_piece(key: tuple[int, bool, int]) -> str:
        piece = tails[key] = _row_tail(Decimal(key[0]).scaleb(-2), key[1], text(AmountRows.FINALITY, key[2]))
        return piece

    tag = "beneficiarySsin" if rows.partner_role else "partnerSsin"
    others_seen: dict[int, str] = {-1: ""}  # the other person rarely changes within an answer

    def other_piece(code: int) -> str:
        piece = others_seen[code] = f"<{tag}>{escape(text(AmountRows.OTHER, code))}</{tag}>"
        return piece

    for start, stop in rows.spans:
        periods, pcsas, allowances, categories, others, (offsets, begins, ends), cents, wholes, finalities, _ = (
            index.stored(start, stop)
        )
        spans = [grants.get(span) or grant_piece(span) for span in zip(begins, ends, strict=True)]
        if offsets != list(range(len(periods) + 1)):  # a row with no or several grant periods: by row
            spans = ["".join(spans[offsets[i] : offsets[i + 1]]) for i in range(len(periods))]
        parts.extend(
            map(
                "".join,
                zip(
                    [opens.get(period) or open_piece(period) for period in periods],
                    [heads.get(key) or head_piece(key) for key in zip(pcsas, allowances, categories, strict=True)],
                    [other if (other := others_seen.get(code)) is not None else other_piece(code) for code in others],
                    spans,
                    [tails.get(key) or tail_piece(key) for key in zip(cents, wholes, finalities, strict=True)],
                    strict=True,
                ),
            )
        )


def _month(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _row_head(pcsa: str, allowance: str, category: int) -> str:
    return (
        f"<pcsaCbeNumber>{escape(pcsa)}</pcsaCbeNumber><allowanceType>{escape(allowance)}</allowanceType>"
        f"<householdCategory>{int(category)}</householdCategory>"
    )


def _row_tail(amount: Decimal, whole: bool, finality: str) -> str:
    return (
        f"<amount>{amount:.2f}</amount><coversWholePeriod>{'true' if whole else 'false'}</coversWholePeriod>"
        f"<finalityStatus>{escape(finality)}</finalityStatus></amount>"
    )


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

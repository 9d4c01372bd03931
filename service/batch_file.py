"""The batch consultation file (CONTRACT section 5): read as a stream, checked whole, written as a stream.

Reading: ``lxml.etree.iterparse``, each ``request`` handled at its end and then cleared with the elements before
it, so memory stays flat whatever the file's size. A request becomes the online request of its operation (the
same ``informationCustomer``/``legalContext`` an institution would send, from the file's header, and its
``criteria`` as written), so the service's own schema checks its criteria and ``service.channels.soap`` reads
it into the same :class:`~service.consult.Consultation` as online.

:func:`check` reads the whole file once before anything is answered: a file that is not well-formed, breaks the
batch schema or its operations' request schemas, or repeats a ``sequence`` is refused whole (:class:`Refused`,
naming the line). Each request is validated on its own as it streams in (libxml2's validation while parsing
names no line); the sequences are kept in two compact arrays (16 bytes a request) to find repeats.

Writing: :class:`ResultWriter` writes the head, each response as it is answered, and the synthesis; where, and
when the result is made durable and released, is the caller's (``service.channels.batch``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from lxml import etree

from kernel.errors import LwwError
from kernel.xsd import compile_schema
from service.channels.soap import SoapRequest, consultation
from service.schemas import (
    LIVING_WAGES,
    LIVING_WAGES_V3,
    LIVING_WAGES_WITH_AMOUNT,
    SCHEMA_DIR,
    ServiceSpec,
    validator,
)

NS = "urn:be:fgov:mi-is:lww:batch:v1"
SCHEMA_FILE = "ConsultationBatchV1.xsd"
ROOT = f"{{{NS}}}consultationBatch"

# the ``service`` attribute's values, and the service answering when it is absent (by operation)
SERVICES: dict[str, ServiceSpec] = {
    "LivingWagesV2": LIVING_WAGES,
    "LivingWagesV3": LIVING_WAGES_V3,
    "LivingWagesWithAmount": LIVING_WAGES_WITH_AMOUNT,
}
DEFAULT_SERVICE = {operation: "LivingWagesV2" for operation in LIVING_WAGES.operations} | {
    operation: "LivingWagesWithAmount" for operation in LIVING_WAGES_WITH_AMOUNT.operations
}


class Refused(LwwError):
    """The whole file is refused: nothing is answered, no result is written. ``code`` is a status code when the
    refusal has one (``MSG00014``: the file names another institution than its sender)."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(f"{code}: {reason}" if code else reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class Header:
    batch_id: str
    cbe_number: str
    legal_context: str
    file_creation_timestamp: str


@dataclass(slots=True)
class BatchRequest:
    """One request of the file, as its operation's online request."""

    sequence: int
    line: int
    spec: ServiceSpec
    soap: SoapRequest

    @property
    def consultation(self):  # what ``service.pipeline.answer`` reads
        return self.soap.consultation


@dataclass(frozen=True)
class Checked:
    header: Header
    requests: int


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return compile_schema(etree.parse(str(SCHEMA_DIR / SCHEMA_FILE), parser))


def _refuse_declarations(path: Path) -> None:
    with open(path, "rb") as source:
        head = source.read(4096)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise Refused("DOCTYPE and entity declarations are not allowed in a batch file (line 1)")


def _events(path: Path):
    return etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=True,
        remove_comments=True,
        remove_pis=True,
    )


def _header(root: etree._Element) -> Header:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # after a prolog longer than the bytes looked at first
        raise Refused(f"line {root.sourceline}: DOCTYPE and entity declarations are not allowed in a batch file")
    if root.tag != ROOT:
        raise Refused(f"line {root.sourceline}: the root element is {root.tag}, expected {ROOT}")
    get = root.attrib.get
    return Header(
        (get("batchId") or "").strip(),
        (get("cbeNumber") or "").strip(),
        (get("legalContext") or "").strip(),
        (get("fileCreationTimestamp") or "").strip(),
    )


def _syntax(error: etree.XMLSyntaxError) -> Refused:
    message = str(error.msg if getattr(error, "msg", None) else error).strip()
    line = getattr(error, "lineno", None) or (error.position[0] if getattr(error, "position", None) else None)
    where = f"line {line}: " if line and f"line {line}" not in message else ""
    return Refused(f"not well-formed XML: {where}{message}")


def read_header(path: Path) -> Header:
    """The attributes of the file's root element (read without going further)."""
    _refuse_declarations(path)
    try:
        for _event, element in _events(path):
            return _header(element)
    except etree.XMLSyntaxError as error:
        raise _syntax(error) from None
    raise Refused("line 1: empty file, a consultationBatch is expected")


def _request(element: etree._Element, header: Header, *, read: bool = True) -> BatchRequest:
    """The online request of a ``request`` element (schema-valid against the batch schema); ``read``: with its
    consultation read (the check of the file needs the payload only)."""
    sequence = int(element.findtext("sequence").strip())
    operation = element.findtext("operation").strip()
    service = element.get("service") or DEFAULT_SERVICE[operation]
    line = element.sourceline or 0
    spec = SERVICES[service]
    if operation not in spec.operations:
        raise Refused(f"line {line}: request {sequence}: {operation} is not an operation of {service}")
    payload = etree.Element(f"{{{spec.interface_ns}}}{operation}Request", nsmap={"intf": spec.interface_ns})
    customer = etree.SubElement(payload, "informationCustomer")
    # the audit record's ticket: which file and which request of it (at most 20 + 1 + 15 characters)
    etree.SubElement(customer, "ticket").text = f"{header.batch_id}#{sequence}"
    identification = etree.SubElement(customer, "customerIdentification")
    etree.SubElement(identification, "cbeNumber").text = header.cbe_number
    etree.SubElement(payload, "legalContext").text = header.legal_context
    payload.append(element.find("criteria"))  # moved out of the parsed file's tree
    read_as = consultation(spec, operation, payload) if read else None
    return BatchRequest(sequence, line, spec, SoapRequest(operation, payload, read_as))


_QUALIFIED_REQUEST = f"{{{NS}}}request"


def _unqualified(element: etree._Element) -> etree._Element:
    """A ``request`` written in the batch namespace (CONTRACT §5's example declares it as the default namespace, so
    every element of the file is in it) read as the schema's unqualified form: the same request either way. Only
    the batch namespace is taken off; an element of another namespace stays foreign and the schema refuses it."""
    if element.tag == _QUALIFIED_REQUEST:
        for child in element.iter():
            if isinstance(child.tag, str) and child.tag.startswith(f"{{{NS}}}"):
                child.tag = etree.QName(child).localname
        etree.cleanup_namespaces(element)
    return element


def _forget(element: etree._Element) -> None:
    """Clear a handled request and drop the requests before it from the root (memory flat in the file size)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


@functools.cache
def _request_schema() -> etree.XMLSchema:
    """A ``request`` element (unqualified) of the batch schema: each is validated on its own as it streams in, so
    that an error names its line (libxml2's validation while parsing reports none)."""
    text = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:lwb="{NS}">
      <xs:import namespace="{NS}" schemaLocation="{SCHEMA_FILE}"/>
      <xs:element name="request" type="lwb:RequestType"/></xs:schema>"""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return compile_schema(etree.fromstring(text, parser, base_url=str(SCHEMA_DIR / "request.xsd")))


_PROBE = "<request><sequence>1</sequence><operation>getLivingWages</operation><criteria/></request>"


def _check_root(root: etree._Element) -> None:
    """The root's attributes, against the batch schema (with one request that is always valid)."""
    probe = etree.Element(ROOT, attrib=dict(root.attrib), nsmap={"lwb": NS})
    probe.append(etree.fromstring(_PROBE))
    schema = _schema()
    if not schema.validate(probe):
        error = schema.error_log.last_error
        raise Refused(f"line {root.sourceline}: {error.message if error is not None else 'invalid root element'}")


def _schema_error(schema: etree.XMLSchema, element: etree._Element) -> Refused:
    error = schema.error_log.last_error
    line = error.line if error is not None and error.line else element.sourceline
    return Refused(f"line {line}: {error.message if error is not None else 'invalid request'}")


def check(path: Path) -> Checked:
    """Read the whole file once; :class:`Refused` at the first reason to refuse it whole."""
    _refuse_declarations(path)
    request_schema = _request_schema()
    root: etree._Element | None = None
    header: Header | None = None
    sequences, lines = array("q"), array("q")
    try:
        for event, element in _events(path):
            if root is None:
                root = element
                header = _header(root)
                _check_root(root)
                continue
            if event != "end" or element.getparent() is not root:
                continue
            if _unqualified(element).tag != "request":
                raise Refused(
                    f"line {element.sourceline}: Element '{element.tag}': This element is not expected. "
                    "Expected is ( request )."
                )
            if not request_schema.validate(element):
                raise _schema_error(request_schema, element)
            problem = _problem(element, header, sequences, lines)
            if problem is not None:
                raise problem
            _forget(element)
    except etree.XMLSyntaxError as error:
        raise _syntax(error) from None
    if header is None:
        raise Refused("line 1: empty file, a consultationBatch is expected")
    if not sequences:
        raise Refused(f"line {root.sourceline}: a consultationBatch holds at least one request")
    _no_repeats(np.frombuffer(sequences, dtype=np.int64), np.frombuffer(lines, dtype=np.int64))
    return Checked(header, len(sequences))


def _problem(element: etree._Element, header: Header, sequences: array, lines: array) -> Refused | None:
    """Why this request refuses the file (its criteria against its operation's schema), or None (it is kept)."""
    try:
        request = _request(element, header, read=False)
    except Refused as refused:
        return refused
    criteria_schema = validator(request.spec)
    if not criteria_schema.validate(request.soap.payload):
        error = criteria_schema.error_log.last_error
        line = error.line if error is not None and error.line else request.line
        message = error.message if error is not None else "invalid criteria"
        return Refused(f"line {line}: request {request.sequence} ({request.soap.operation}): {message}")
    sequences.append(request.sequence)
    lines.append(request.line)
    return None


def _no_repeats(sequences: np.ndarray, lines: np.ndarray) -> None:
    if len(sequences) < 2:
        return
    order = np.argsort(sequences, kind="stable")
    ordered = sequences[order]
    repeats = np.flatnonzero(ordered[1:] == ordered[:-1])
    if len(repeats):
        first, again = order[repeats[0]], order[repeats[0] + 1]
        raise Refused(
            f"line {int(lines[again])}: sequence {int(sequences[again])} repeats the request of line "
            f"{int(lines[first])} (a sequence is unique in the file)"
        )


def requests(path: Path, header: Header, chunk: int, share: tuple[int, int] = (0, 1)) -> Iterator[tuple[int, list]]:
    """The requests of a checked file (not validated again), in input order, by chunks of ``chunk``:
    ``(chunk number, requests)``. ``share`` = (k, n): only the chunks whose number is k modulo n (the others are
    skipped unread), when n processes answer a file together."""
    mine, processes = share
    root = None
    number, count, found = 0, 0, []
    for event, element in _events(path):
        if root is None:
            root = element
            continue
        if event == "end" and element.getparent() is root and _unqualified(element).tag == "request":
            if number % processes == mine:
                found.append(_request(element, header))
            _forget(element)
            count += 1
            if count == chunk:
                if found:
                    yield number, found
                number, count, found = number + 1, 0, []
    if found:
        yield number, found


class ResultWriter:
    """``consultationBatchResult`` written as it goes: the head, one response at a time, the synthesis."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def head(self, header: Header, reference_date: dt.date) -> None:
        self.out.write(
            (
                "<?xml version='1.0' encoding='UTF-8'?>\n"
                f"<lwb:consultationBatchResult xmlns:lwb={quoteattr(NS)}>"
                f"<batchId>{escape(header.batch_id)}</batchId><cbeNumber>{escape(header.cbe_number)}</cbeNumber>"
                f"<referenceDate>{reference_date.isoformat()}</referenceDate>"
                f"<fileCreationTimestamp>{escape(header.file_creation_timestamp)}</fileCreationTimestamp>"
            ).encode()
        )

    def response(self, sequence: int, body: bytes) -> None:
        """One ``response``: ``body`` is its ``informationCBSS``, ``status`` and payload, rendered."""
        self.out.write(b"<response><sequence>%d</sequence>%s</response>\n" % (sequence, body))

    def tail(self, count: int, data_found: int, no_data_found: int, no_result: int) -> None:
        self.out.write(
            (
                f"<synthesis><requestCount>{count}</requestCount><dataFound>{data_found}</dataFound>"
                f"<noDataFound>{no_data_found}</noDataFound><noResult>{no_result}</noResult></synthesis>"
                "</lwb:consultationBatchResult>\n"
            ).encode()
        )

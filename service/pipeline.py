"""One consultation, whatever the channel: the checks of CONTRACT section 4.3 in order, and one audit record.

Order of checks: body size -> media type (over HTTP: the channel's ``media_types``, else 415) -> published data
-> credentials -> well-formed and schema-valid (the channel's ``parse``) -> business checks (``consult.answer``).
The first failing check answers; refusals are raised (:class:`Refused`, :class:`NothingPublished`,
:class:`Invalid`) and turned into a reply in one place. Whatever
happens, exactly one audit record is appended; :func:`answer` returns it with the reply and its sequence in the
audit log, and whoever sends the reply waits for that record to be durable first (``service.handlers``).

A channel (``service.channels``) only parses, renders and faults: SOAP LivingWages V2, SOAP
LivingWagesWithAmount V1 and JSON today. What a request is answered against (the snapshot, who calls, today's
date, the audit log) comes in a :class:`Context` from the caller of :func:`answer`, so a channel without HTTP (a
batch file answered from one snapshot, for one institution) calls the same function.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kernel import codes
from service import consult
from service.auth import Caller
from service.snapshot_store import LoadedSnapshot

log = logging.getLogger(__name__)

NOTHING_PUBLISHED = "no published data yet: retry after the first refresh"


@dataclass
class Reply:
    http_status: int
    content: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Pending:
    """A reply whose audit record is written (``sequence``) but not yet known durable."""

    reply: Reply
    record: dict
    started: float
    sequence: int | None  # None: nothing to wait for (not written, and the reply says so; or a sink without)


@dataclass(slots=True)
class Incoming:
    """A request as it arrives, before anything in its body is read."""

    body: bytes | None  # None: larger than the context's ``body_limit``
    authorization: str | None = None  # the ``Authorization`` header
    client_ip: str = "unknown"
    action: str | None = None  # the ``SOAPAction`` header
    content_type: str | None = None  # the ``Content-Type`` header ("" when absent; None: not over HTTP)


class Refused(Exception):
    """Refused before the body is read (too large, credentials): a plain-text reply with ``http_status``."""

    def __init__(self, http_status: int, reason: str, *, headers: dict[str, str] | None = None, username=None):
        super().__init__(reason)
        self.http_status = http_status
        self.reason = reason
        self.headers = headers or {}
        self.username = username


class NothingPublished(Exception):
    """No snapshot published yet: a server fault ``MSG00001``, to be tried again later."""


class Invalid(Exception):
    """The body is not a request of this channel (not well-formed, breaks the schema): the channel's client fault."""

    def __init__(self, diagnostic: str, reason_code: str = codes.INVALID_REQUEST[1], soap_code: str | None = None):
        super().__init__(diagnostic)
        self.diagnostic = diagnostic
        self.reason_code = reason_code
        self.soap_code = soap_code  # SOAP 1.1: VersionMismatch, MustUnderstand (else a Client fault)


@dataclass(frozen=True, slots=True)
class Fault:
    """A refusal after the credentials, written by the channel in its own format."""

    http_status: int
    server: bool  # the service failed (soap:Server), rather than the request (soap:Client)
    code: str  # the reasonCode (MSG000..)
    diagnostic: str
    soap_code: str | None = None  # a SOAP 1.1 faultcode other than Client/Server (VersionMismatch, MustUnderstand)


class Parsed(Protocol):
    """What a channel's ``parse`` returns: at least the consultation; the rest is the channel's own (echoes)."""

    consultation: consult.Consultation


class Channel(Protocol):
    """A way in: reads a request into a :class:`consult.Consultation` and writes answers and faults back."""

    name: str  # the audit record's channel: SOAP, JSON (BATCH, ...)
    invalid_status: int  # the HTTP status of a request the channel cannot read (SOAP 1.1: 500)
    media_types: tuple[str, ...]  # the Content-Types it reads over HTTP (another: 415)

    def operation(self, incoming: Incoming) -> str | None:
        """The operation to record before the body is read (the route's, the SOAPAction's), or None."""

    def parse(self, incoming: Incoming) -> Parsed:
        """The request in the body; raises :class:`Invalid`."""

    def render(self, parsed: Any, answer: consult.Answer, ticket_cbss: str, received: dt.datetime) -> Reply:
        """The answer to ``parsed``."""

    def fault(self, fault: Fault, ticket_cbss: str, received: dt.datetime, parsed: Any | None) -> Reply:
        """A fault (``parsed``: the request when it was read before the failure, else None)."""


class AuditSink(Protocol):
    def append(self, record: dict[str, Any]) -> int | None:
        """Write ``record``; its sequence number, to wait for its durability (None: nothing to wait for)."""


@dataclass(frozen=True)
class Context:
    """What the requests of a caller of :func:`answer` are answered against.

    ``snapshot`` is asked once per request (the HTTP service: the current one; a batch: the one of its file);
    ``caller`` names who asks, from the request's credentials and the snapshot's, or raises :class:`Refused`;
    ``today`` is the date authorisations are valid on (Brussels); ``audit`` takes the one record of each request.
    """

    snapshot: Callable[[], LoadedSnapshot | None]
    caller: Callable[[Incoming, LoadedSnapshot], Caller]
    today: Callable[[], dt.date]
    audit: AuditSink
    body_limit: int


def answer(channel: Channel, incoming: Incoming, context: Context) -> Pending:
    """Answer ``incoming`` on ``channel``: the reply, with its audit record appended (not yet durable)."""
    started = time.perf_counter()
    received = dt.datetime.now(dt.UTC)
    ticket_cbss = str(uuid.uuid4())
    record: dict = {"channel": channel.name, "ticket_cbss": ticket_cbss, "operation": channel.operation(incoming)}
    parsed = None
    try:
        try:
            if incoming.body is None:
                raise Refused(413, f"request body larger than {context.body_limit} bytes")
            _check_media_type(channel, incoming.content_type)
            snapshot = context.snapshot()
            if snapshot is None:
                raise NothingPublished
            record["snapshot_id"] = snapshot.refresh_id
            caller = context.caller(incoming, snapshot)
            record.update(username=caller.username, cbe_number=caller.cbe_number)
            parsed = channel.parse(incoming)
            request = parsed.consultation
            _describe(record, request)
            result = consult.answer(request, caller.cbe_number, snapshot, context.today())
            record.update(status_value=result.status.value, status_code=result.status.code, http_status=200)
            reply = channel.render(parsed, result, ticket_cbss, received)
        except Refused as refused:
            record.update(
                status_code=f"HTTP{refused.http_status}", http_status=refused.http_status, username=refused.username
            )
            reply = Reply(refused.http_status, (refused.reason + "\n").encode(), "text/plain", refused.headers)
        except NothingPublished:
            fault = Fault(503, True, codes.SERVICE_UNAVAILABLE_CODE, NOTHING_PUBLISHED)
            reply = _fault(channel, record, fault, ticket_cbss, received, parsed)
            reply.headers["Retry-After"] = "60"
        except Invalid as error:
            fault = Fault(channel.invalid_status, False, error.reason_code, error.diagnostic, error.soap_code)
            reply = _fault(channel, record, fault, ticket_cbss, received, parsed)
    except Exception:
        log.exception("internal error on %s %s (ticketCBSS %s)", channel.name, record["operation"], ticket_cbss)
        diagnostic = f"internal error: quote ticketCBSS {ticket_cbss} to the service desk"
        fault = Fault(500, True, codes.INTERNAL_ERROR_CODE, diagnostic)
        reply = _fault(channel, record, fault, ticket_cbss, received, parsed)
    return _finish(context.audit, record, reply, started)


def _check_media_type(channel: Channel, content_type: str | None) -> None:
    """HTTP ``415`` when the request's ``Content-Type`` is not the channel's (SOAP 1.1: ``text/xml``); a request
    that did not come over HTTP (``None``) has none to check."""
    accepted = getattr(channel, "media_types", ())
    if content_type is None or not accepted:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in accepted:
        shown = f"Content-Type {media_type}" if media_type else "no Content-Type"
        raise Refused(415, f"{shown}: expected {' or '.join(accepted)}")


def _fault(channel: Channel, record: dict, fault: Fault, ticket_cbss: str, received: dt.datetime, parsed) -> Reply:
    record.update(status_code=fault.code, http_status=fault.http_status)
    return channel.fault(fault, ticket_cbss, received, parsed)


def _describe(record: dict, consultation: consult.Consultation) -> None:
    record.update(
        operation=consultation.operation,
        legal_context=consultation.legal_context,
        ssin=consultation.ssin,
        ticket=consultation.ticket,
        # a date outside 1..9999 (refused as MSG00008) is not recorded: the audit's dates are DATE columns
        period_begin=consultation.begin.isoformat() if consultation.begin else None,
        period_end=consultation.end.isoformat() if consultation.end else None,
    )


def _finish(audit: AuditSink, record: dict, reply: Reply, started: float) -> Pending:
    record["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
    try:
        sequence = audit.append(record)
    except Exception:  # an answer that cannot be logged is not given
        log.exception("cannot write the audit record %s", record.get("ticket_cbss"))
        return Pending(withheld(record), record, started, None)
    return Pending(reply, record, started, sequence)


def withheld(record: dict) -> Reply:
    """The reply instead of an answer whose audit record cannot be written or made durable."""
    record.update(status_code=codes.INTERNAL_ERROR_CODE, http_status=500)
    return Reply(500, b"audit log unavailable\n", "text/plain")

"""The request pipeline of both channels, from raw body to reply, with its audit record and metrics.

Order of checks (CONTRACT section 4.3): body size -> published data -> credentials -> well-formed and
schema-valid -> business checks (``consult``). Whatever happens, exactly one audit record is written, and it is
durable before the reply is returned; if it cannot be written or made durable, the answer is withheld.

Two steps, so that the ASGI layer can run the first where it is cheapest: ``answer_soap``/``answer_json`` compute
the reply and append its audit record (synchronous, CPU only when the snapshot is open and the credentials are
in the verification cache: the event loop runs those inline, and a thread the others, which may hash a password
or open a snapshot), then ``settle``/``settle_async`` wait for the record's group commit and count the request.
``handle_soap``/``handle_json`` do both, blocking.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
from pydantic import ValidationError

from kernel import codes
from kernel.calendar import today_brussels
from kernel.settings import Settings
from service import consult, json_api, soap, xmlsafe
from service.audit import AuditLog, AuditUnavailable
from service.auth import Authenticator, AuthRefused, Caller
from service.metrics import Metrics
from service.schemas import LIVING_WAGES_WITH_AMOUNT, SERVICES, ServiceSpec, validator
from service.store import LoadedSnapshot, PersonIndex, SnapshotStore

log = logging.getLogger(__name__)

XML = "text/xml; charset=utf-8"
JSON = "application/json"
DEFAULT_MAX_BODY = 64 * 1024


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
    sequence: int | None  # None: the record could not be written, and the reply already says so


class ConsultationService:
    """Everything one running service holds: snapshot store, authenticator, audit log, metrics."""

    def __init__(
        self,
        settings: Settings,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        authenticator: Authenticator | None = None,
        today: Callable[[], dt.date] = today_brussels,
    ) -> None:
        self.settings = settings
        self.max_body = max_body
        self.store = SnapshotStore(settings.published, settings.service_cache / "indexes")
        self.auth = authenticator or Authenticator()
        self.audit = AuditLog(settings.audit)
        self.metrics = Metrics(lambda: self.store.loaded)
        self.today = today
        for spec in SERVICES.values():  # this thread's (the event loop's) compiled now, not by its first request
            validator(spec)

    # -- SOAP ---------------------------------------------------------------------------------------------
    def answers_inline(self, authorization: str | None) -> bool:
        """Whether a request with these credentials is CPU work only (snapshot open, credentials cached)."""
        loaded = self.store.loaded
        return loaded is not None and self.auth.is_cached(authorization, loaded.credentials)

    def handle_soap(self, spec: ServiceSpec, body: bytes | None, headers: Mapping[str, str], client_ip: str) -> Reply:
        return self.settle(self.answer_soap(spec, body, headers, client_ip))

    def answer_soap(self, spec: ServiceSpec, body: bytes | None, headers: Mapping[str, str], client_ip: str) -> Pending:
        started = time.perf_counter()
        received = dt.datetime.now(dt.UTC)
        ticket_cbss = str(uuid.uuid4())
        action = (headers.get("soapaction") or "").strip().strip('"').rsplit("/", 1)[-1]
        record: dict = {
            "channel": "SOAP",
            "ticket_cbss": ticket_cbss,
            "operation": action if action in spec.operations else None,
        }
        information_customer = None

        def soap_fault(status: int, server: bool, code: str, diagnostic: str) -> Reply:
            record.update(status_code=code, http_status=status)
            content = soap.fault(
                spec,
                server=server,
                reason_code=code,
                diagnostic=diagnostic,
                ticket_cbss=ticket_cbss,
                received=received,
                information_customer=information_customer,
            )
            return Reply(status, content, XML)

        try:
            reply, snapshot, caller = self._admit(body, headers, client_ip, record)
            if reply is None and snapshot is None:
                reply = soap_fault(
                    503, True, codes.SERVICE_UNAVAILABLE_CODE, "no published data yet: retry after the first refresh"
                )
                reply.headers["Retry-After"] = "60"
            if reply is None:
                try:
                    request = soap.read_request(spec, xmlsafe.parse(body), headers.get("soapaction"))
                except xmlsafe.UnsafeXml as error:
                    raise soap.ClientFault(str(error)) from None
                information_customer = request.information_customer
                self._describe(record, request.consultation)
                answer = consult.answer(request.consultation, caller.cbe_number, snapshot, self.today())
                record.update(status_value=answer.status.value, status_code=answer.status.code, http_status=200)
                reply = Reply(200, soap.response(spec, request, answer, ticket_cbss, received), XML)
        except soap.ClientFault as error:
            reply = soap_fault(500, False, error.reason_code, error.diagnostic)
        except Exception:
            log.exception("internal error on %s (ticketCBSS %s)", spec.path, ticket_cbss)
            reply = soap_fault(
                500,
                True,
                codes.INTERNAL_ERROR_CODE,
                f"internal error: quote ticketCBSS {ticket_cbss} to the service desk",
            )
        return self._finish(record, reply, started)

    # -- JSON ---------------------------------------------------------------------------------------------
    def handle_json(
        self, service: str, operation: str, body: bytes | None, headers: Mapping[str, str], client_ip: str
    ) -> Reply:
        return self.settle(self.answer_json(service, operation, body, headers, client_ip))

    def answer_json(
        self, service: str, operation: str, body: bytes | None, headers: Mapping[str, str], client_ip: str
    ) -> Pending:
        started = time.perf_counter()
        received = dt.datetime.now(dt.UTC)
        ticket_cbss = str(uuid.uuid4())
        record: dict = {"channel": "JSON", "ticket_cbss": ticket_cbss, "operation": operation}

        def information_cbss() -> dict:
            return {
                "ticketCBSS": ticket_cbss,
                "timestampReceive": soap.timestamp(received),
                "timestampReply": soap.timestamp(dt.datetime.now(dt.UTC)),
            }

        def json_fault(status: int, server: bool, code: str, diagnostic: str) -> Reply:
            record.update(status_code=code, http_status=status)
            fault = {
                "faultcode": "Server" if server else "Client",
                "reasonCode": code,
                "diagnostic": diagnostic[:256],
                "informationCBSS": information_cbss(),
            }
            return Reply(status, json.dumps({"fault": fault}).encode(), JSON)

        try:
            reply, snapshot, caller = self._admit(body, headers, client_ip, record)
            if reply is None and snapshot is None:
                reply = json_fault(
                    503, True, codes.SERVICE_UNAVAILABLE_CODE, "no published data yet: retry after the first refresh"
                )
                reply.headers["Retry-After"] = "60"
            if reply is None:
                model = json_api.REQUEST_MODELS[service]
                try:
                    request = model.model_validate_json(body)
                except ValidationError as error:
                    first = error.errors()[0]
                    where = ".".join(str(part) for part in first["loc"])
                    return self._finish(
                        record,
                        json_fault(400, False, codes.INVALID_REQUEST[1], f"invalid request at {where}: {first['msg']}"),
                        started,
                    )
                consultation = json_api.consultation(service, operation, request)
                self._describe(record, consultation)
                answer = consult.answer(consultation, caller.cbe_number, snapshot, self.today())
                record.update(status_value=answer.status.value, status_code=answer.status.code, http_status=200)
                payload = json_api.response(operation, request, answer, information_cbss())
                reply = Reply(200, json.dumps(payload).encode(), JSON)
        except Exception:
            log.exception("internal error on JSON %s (ticketCBSS %s)", operation, ticket_cbss)
            reply = json_fault(
                500,
                True,
                codes.INTERNAL_ERROR_CODE,
                f"internal error: quote ticketCBSS {ticket_cbss} to the service desk",
            )
        return self._finish(record, reply, started)

    # -- shared steps -------------------------------------------------------------------------------------
    def _admit(
        self, body: bytes | None, headers: Mapping[str, str], client_ip: str, record: dict
    ) -> tuple[Reply | None, LoadedSnapshot | None, Caller | None]:
        """Body size, published data, credentials: the checks before any parsing of the body.

        Returns (refusal, None, None), or (None, None, None) when nothing is published yet, or
        (None, snapshot, caller) for a request to go on with."""
        if body is None:
            record.update(status_code="HTTP413", http_status=413)
            return Reply(413, f"request body larger than {self.max_body} bytes\n".encode(), "text/plain"), None, None
        snapshot = self.store.get()
        if snapshot is None:
            return None, None, None
        record["snapshot_id"] = snapshot.refresh_id
        try:
            caller = self.auth.authenticate(headers.get("authorization"), client_ip, snapshot.credentials)
        except AuthRefused as refused:
            record.update(
                status_code=f"HTTP{refused.http_status}", http_status=refused.http_status, username=refused.username
            )
            extra = {"WWW-Authenticate": 'Basic realm="LivingWages", charset="UTF-8"'}
            if refused.retry_after:
                extra["Retry-After"] = str(refused.retry_after)
            return Reply(refused.http_status, (refused.reason + "\n").encode(), "text/plain", extra), None, None
        record.update(username=caller.username, cbe_number=caller.cbe_number)
        return None, snapshot, caller

    @staticmethod
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

    def _finish(self, record: dict, reply: Reply, started: float) -> Pending:
        record["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        try:
            sequence = self.audit.append(record)
        except Exception:  # an answer that cannot be logged is not given
            log.exception("cannot write the audit record %s", record.get("ticket_cbss"))
            return Pending(self._withheld(record), record, started, None)
        return Pending(reply, record, started, sequence)

    @staticmethod
    def _withheld(record: dict) -> Reply:
        record.update(status_code=codes.INTERNAL_ERROR_CODE, http_status=500)
        return Reply(500, b"audit log unavailable\n", "text/plain")

    def settle(self, pending: Pending) -> Reply:
        """Wait (blocking) until the audit record of ``pending`` is durable; the reply to send."""
        error = None
        if pending.sequence is not None:
            try:
                self.audit.wait_durable(pending.sequence)
            except AuditUnavailable as failed:
                error = failed
        return self._settled(pending, error)

    async def settle_async(self, pending: Pending) -> Reply:
        """:meth:`settle` on the event loop: the answers written while a flush runs share the next one."""
        error = None
        if pending.sequence is not None:
            try:
                await self.audit.durable(pending.sequence)
            except AuditUnavailable as failed:
                error = failed
        return self._settled(pending, error)

    def _settled(self, pending: Pending, error: Exception | None) -> Reply:
        record, reply = pending.record, pending.reply
        if error is not None:  # written but not durable: withheld, as if it could not be written
            log.error("audit record %s not durable: %s", record.get("ticket_cbss"), error)
            reply = self._withheld(record)
        self.metrics.observe(
            record["channel"],
            record.get("operation"),
            record["http_status"],
            record["status_code"],
            time.perf_counter() - pending.started,
        )
        return reply


# -- the floor of the benchmark: what the stack costs without auth, data or audit ----------------------------
_FLOOR_ANSWERS: dict[int, bytes] = {}


def _floor_answer(spec: ServiceSpec, request: soap.SoapRequest, rows: int) -> bytes:
    """A fixed answer with ``rows`` amount rows, rendered once (the floor does no per-request work on it)."""
    fixed = _FLOOR_ANSWERS.get(rows)
    if fixed is None:
        months = [dt.date(2016 + (11 + i) // 12, (11 + i) % 12 + 1, 1) for i in range(rows)]
        grants = pa.struct([("begin_date", pa.date32()), ("end_date", pa.date32())])
        table = pa.table(
            {
                "person": ["00000000097"] * rows,
                "period": pa.array(months, pa.date32()),
                "pcsa_cbe_number": ["0200000196"] * rows,
                "allowance_type": ["LIVING_WAGE"] * rows,
                "household_category": pa.array([2] * rows, pa.int32()),
                "other": pa.array([None] * rows, pa.string()),
                "grant_periods": pa.array(
                    [[{"begin_date": month, "end_date": month.replace(day=28)}] for month in months], pa.list_(grants)
                ),
                "amount_cents": pa.array([131420] * rows, pa.int64()),
                "covers_whole_period": [True] * rows,
                "finality_status": ["FINAL" if i < rows - 6 else "PROVISIONAL" for i in range(rows)],
                "is_last": [i == rows - 1 for i in range(rows)],
            }
        )
        status = consult.status(codes.DATA_FOUND if rows else codes.NO_DATA_FOUND)
        answer = consult.Answer(status, reference_date=dt.date(2026, 11, 7))
        if rows:
            answer.amounts = consult.AmountRows(
                PersonIndex.from_table(table), [(0, rows)], yearly=False, partner_role=False
            )
            answer.last_month_is_last_indemnified = True
        fixed = soap.response(spec, request, answer, str(uuid.uuid4()), dt.datetime.now(dt.UTC))
        _FLOOR_ANSWERS[rows] = fixed
    return fixed


def handle_floor(body: bytes | None, rows: int = 0) -> Reply:
    """Parse, validate and return a fixed answer of ``rows`` amount rows: the cost of the stack alone (benchmarks
    only; the benchmark sets ``rows`` to the mean size of the data path's answers, ``LWW_SERVICE_FLOOR_ROWS``)."""
    if body is None:
        return Reply(413, b"too large\n", "text/plain")
    spec = LIVING_WAGES_WITH_AMOUNT
    try:
        request = soap.read_request(spec, xmlsafe.parse(body), None)
    except (soap.ClientFault, xmlsafe.UnsafeXml) as error:
        return Reply(500, str(error).encode(), "text/plain")
    return Reply(200, _floor_answer(spec, request, rows), XML)


assert set(SERVICES) == set(json_api.REQUEST_MODELS)

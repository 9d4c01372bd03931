"""The running service over HTTP: what it holds, and the two steps of answering a request with its audit record.

Two steps, so that the ASGI layer can run the first where it is cheapest: :meth:`ConsultationService.answer`
runs the pipeline (``service.pipeline.answer``: the reply and its audit record appended; synchronous, CPU only
when the snapshot is open and the credentials are in the verification cache: the event loop runs those inline,
and a thread the others, which may hash a password or open a snapshot), then :meth:`ConsultationService.settle`
/ :meth:`ConsultationService.settle_async` wait for the record's group commit and count the request. If the
record cannot be made durable, the answer is withheld. :meth:`ConsultationService.handle` does both, blocking.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from kernel.calendar import today_brussels
from kernel.settings import Settings
from service import pipeline
from service.audit import AuditLog, AuditUnavailable
from service.auth import Authenticator, AuthRefused, Caller, SharedFailures
from service.metrics import Metrics
from service.pipeline import Channel, Incoming, Pending, Refused, Reply
from service.schemas import SERVICES, validator
from service.snapshot_store import LoadedSnapshot, SnapshotStore

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 64 * 1024
FAILURES_FILE = "login-failures.sqlite"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="LivingWages", charset="UTF-8"'}


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
        # failed logins counted where every worker process sees them (a file under $LWW_HOME/run/)
        self.auth = authenticator or Authenticator(failures=SharedFailures(settings.home / "run" / FAILURES_FILE, 60.0))
        self.audit = AuditLog(settings.audit)
        self.metrics = Metrics(lambda: self.store.loaded)
        self.today = today
        self.context = pipeline.Context(
            snapshot=self.store.get, caller=self._caller, today=today, audit=self.audit, body_limit=max_body
        )
        for spec in SERVICES.values():  # this thread's (the event loop's) compiled now, not by its first request
            validator(spec)

    def _caller(self, incoming: Incoming, snapshot: LoadedSnapshot) -> Caller:
        """HTTP Basic against the snapshot's credentials; a refusal asks for credentials again."""
        try:
            return self.auth.authenticate(incoming.authorization, incoming.client_ip, snapshot.credentials)
        except AuthRefused as refused:
            headers = dict(_CHALLENGE)
            if refused.retry_after:
                headers["Retry-After"] = str(refused.retry_after)
            raise Refused(refused.http_status, refused.reason, headers=headers, username=refused.username) from None

    def client_gone(self, channel: str, client_ip: str) -> None:
        """A client that went away before its body was whole: counted and logged in one line, nothing audited
        (nothing was asked: no credentials checked, no body read)."""
        self.metrics.client_disconnects.labels(channel).inc()
        log.warning("client %s gone before sending its whole request body (%s): nothing answered", client_ip, channel)

    def answers_inline(self, authorization: str | None) -> bool:
        """Whether a request with these credentials is CPU work only (snapshot open, credentials cached)."""
        loaded = self.store.loaded
        return loaded is not None and self.auth.is_cached(authorization, loaded.credentials)

    def answer(self, channel: Channel, incoming: Incoming) -> Pending:
        """The reply to ``incoming`` on ``channel``, its audit record written (not yet known durable)."""
        return pipeline.answer(channel, incoming, self.context)

    def handle(self, channel: Channel, incoming: Incoming) -> Reply:
        """:meth:`answer` and :meth:`settle`, blocking."""
        return self.settle(self.answer(channel, incoming))

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
            reply = pipeline.withheld(record)
        self.metrics.observe(
            record["channel"],
            record.get("operation"),
            record["http_status"],
            record["status_code"],
            time.perf_counter() - pending.started,
        )
        return reply

"""What a connection may hold of a worker: uvicorn's HTTP protocol with a head size limit, head and body timeouts
and a cap on open connections (``lww serve`` uses it for every connection; ``README.md``, security).

- **Request head**: at most ``max_header_bytes`` (request line and headers) or ``431`` and the connection is
  closed; the whole head must arrive within ``head_timeout_s`` of the connection's start (or of the first byte
  of a following request on a kept-alive connection), else ``408`` and closed. A connection that sends nothing
  is closed after ``head_timeout_s`` too; an idle kept-alive connection after a response is governed by
  ``--keep-alive`` instead (clients keep those in their pools).
- **Request body**: the whole body within ``body_timeout_s`` of the head, else the connection is closed; the
  application sees the client gone (``service.app``: one log line, the ``lww_service_client_disconnects``
  counter).
- **Open connections per worker**: beyond ``max_connections``, the connection that has waited longest without
  a request in progress (no head yet, or idle between requests) is closed to make room, so that a crowd of
  idle or half-sent connections cannot lock legitimate clients out; when every connection has a request in
  progress, a new request gets ``503`` with ``Retry-After`` and the connection is closed.

The limits come from the environment (``service.limits``: ``lww serve`` sets them from its options, and every
worker process inherits them). Closed connections are logged in one line per kind and per
``_LOG_EVERY_S``, with their count, not one line each (an attack would flood the log).
"""

from __future__ import annotations

import logging
import time

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.limits import limits

log = logging.getLogger("uvicorn.error")

RETRY_AFTER_S = 5
_LOG_EVERY_S = 10.0


class _Tally:
    """Closed connections by reason, logged as one line per reason at most every ``_LOG_EVERY_S``."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.logged: dict[str, float] = {}

    def note(self, reason: str, client: tuple[str, int] | None) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        now = time.monotonic()
        if now - self.logged.get(reason, -_LOG_EVERY_S) >= _LOG_EVERY_S:
            self.logged[reason] = now
            where = client[0] if client else "unknown"
            log.warning("connection closed: %s (last from %s; %d so far)", reason, where, self.counts[reason])


TALLY = _Tally()


def _plain(status: bytes, text: bytes, *extra: bytes) -> bytes:
    return b"".join(
        [
            b"HTTP/1.1 ",
            status,
            b"\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n",
            *(header + b"\r\n" for header in extra),
            b"content-length: ",
            str(len(text)).encode(),
            b"\r\n\r\n",
            text,
        ]
    )


_TOO_LARGE = _plain(b"431 Request Header Fields Too Large", b"request head too large\n")
_TIMEOUT = _plain(b"408 Request Timeout", b"request head not received in time\n")
_BUSY_BODY = b"too many open connections: retry later\n"


async def _over_capacity(scope, receive, send) -> None:
    """The application of a request refused for capacity: ``503`` with ``Retry-After``, the connection closed."""
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_BUSY_BODY)).encode()),
                (b"retry-after", str(RETRY_AFTER_S).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _BUSY_BODY, "more_body": False})


async def _too_large(scope, receive, send) -> None:
    """The application of a request whose head is over the limit: ``431``, the connection closed."""
    body = b"request head too large\n"
    await send(
        {
            "type": "http.response.start",
            "status": 431,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of this module's docstring."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits()
        self.limit_concurrency = None  # uvicorn's own cap answers 503 without Retry-After: ours replaces it
        self._in_head = True  # between a request's start (or the connection's) and the end of its head
        self._head_bytes = 0  # of the head being read, in the reads before this one
        self._chunk = 0  # the size of the read being parsed
        self._head_timer = None
        self._body_timer = None
        self._free_since = time.monotonic()  # since when no request is in progress

    # -- state ------------------------------------------------------------------------------------------------
    def _busy_with_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete and not self._in_head

    def _close(self, reason: str, response: bytes | None = None) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        TALLY.note(reason, self.client)
        if response is not None:
            self.transport.write(response)
        self.transport.close()
        self.connections.discard(self)  # room for another now, not at connection_lost (the next turn)

    def _make_room(self) -> bool:
        """Close the connection that has waited longest without a request in progress, if the worker holds
        more than its cap; whether the worker is within its cap afterwards."""
        while len(self.connections) > self.limits.max_connections:
            victims = [c for c in self.connections if c is not self and not _in_progress(c)]
            if not victims:
                return False
            oldest = min(victims, key=lambda c: c._free_since)
            oldest._close(f"more than {self.limits.max_connections} open connections, longest waiting closed")
        return True

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    # -- uvicorn's protocol -----------------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self.limits.head_timeout_s, self._head_timed_out)
        self._make_room()

    def connection_lost(self, exc) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        self._chunk = len(data)
        super().data_received(data)
        if self.parser is None or self.transport.is_closing():
            return
        # timers only for what is left unfinished by this read: a request whose head (and body) came whole in one
        # read, the common case, costs none
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._close(f"request head over {self.limits.max_header_bytes} bytes", _TOO_LARGE)
            elif self._head_timer is None:  # a following request on a kept-alive connection: its head's own time
                self._head_timer = self.loop.call_later(self.limits.head_timeout_s, self._head_timed_out)
        elif self._body_timer is None and self._busy_with_request() and self.cycle.more_body:
            self._body_timer = self.loop.call_later(self.limits.body_timeout_s, self._body_timed_out)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        # a head that arrived whole in one read was not measured as it came (data_received): measured here when
        # this read could hold more than the limit
        over = False
        if self._head_bytes + self._chunk > self.limits.max_header_bytes:
            size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers) + 16
            over = size > self.limits.max_header_bytes
        self._head_bytes = 0
        if over:
            TALLY.note(f"request head over {self.limits.max_header_bytes} bytes", self.client)
            refusal = _too_large
        elif self._make_room():
            super().on_headers_complete()
            return
        else:
            TALLY.note(f"more than {self.limits.max_connections} requests in progress, 503", self.client)
            refusal = _over_capacity
        app, self.app = self.app, refusal
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_message_complete(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._free_since = time.monotonic()
        super().on_response_complete()

    # -- timers -----------------------------------------------------------------------------------------------
    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._busy_with_request():
            self._close(f"no request head within {self.limits.head_timeout_s:g} s", _TIMEOUT)

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.cycle is not None and self.cycle.more_body and not self.cycle.response_complete:
            self._close(f"request body not received within {self.limits.body_timeout_s:g} s")


def _in_progress(connection: GuardedHttpProtocol) -> bool:
    return connection._busy_with_request()

"""One outbound notification call, and what its outcome means for delivery (CONTRACT §6).

Timeouts on connect and read; TLS certificates always verified (a custom CA with ``LWW_NOTIFY_CA_BUNDLE``);
redirects never followed (a subscriber's endpoint is registered, not discovered); the answer read up to
``max_answer_bytes`` and parsed with the safe parser. Only an HTTP 2xx carrying status OK and echoing the ticket
proves delivery; everything else is retried, and the attempt says why.

The HTTP/1.1 client is this module's own, on asyncio streams, with keep-alive connections per endpoint: a
notification is one small POST and one small answer, and a general client's per-request machinery cost several
times the call itself (``bench/README.md``, notifications). It speaks what a SOAP endpoint answers:
``Content-Length`` or chunked bodies, ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.notifications import message
from service.notifications.config import NotifyConfig
from service.notifications.store import Result

# HTTP statuses that say "try again later"; another 4xx is retried too, but the attempt says the subscriber
# refuses the request (its endpoint or its implementation is wrong: someone has to look).
TRANSIENT_HTTP = frozenset({408, 429})
MAX_HEADERS = 16 * 1024


class HttpError(Exception):
    """The exchange failed at the HTTP level (not an answer we can read); ``outcome`` says how."""

    def __init__(self, outcome: str, text: str) -> None:
        super().__init__(text)
        self.outcome = outcome


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    tls: bool
    target: str  # path and query
    host_header: str


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    too_long: bool


class Connections:
    """Keep-alive connections per endpoint (host, port, TLS), and the calls made on them."""

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self._ssl = ssl.create_default_context(cafile=str(config.ca_bundle) if config.ca_bundle else None)
        self._idle: dict[tuple[str, int, bool], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}
        self._endpoints: dict[str, Endpoint] = {}

    def endpoint(self, url: str) -> Endpoint:
        known = self._endpoints.get(url)
        if known is None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise HttpError("ERROR", f"endpoint_url {url!r}: an http or https URL is expected")
            tls = parts.scheme == "https"
            port = parts.port or (443 if tls else 80)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            default = port == (443 if tls else 80)
            known = Endpoint(
                parts.hostname, port, tls, target, parts.hostname if default else f"{parts.hostname}:{port}"
            )
            self._endpoints[url] = known
        return known

    async def _connect(self, endpoint: Endpoint):
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(
                    endpoint.host,
                    endpoint.port,
                    ssl=self._ssl if endpoint.tls else None,
                    server_hostname=endpoint.host if endpoint.tls else None,
                    limit=MAX_HEADERS,
                ),
                self.config.connect_timeout,
            )
        except TimeoutError:
            raise HttpError("TIMEOUT", f"no connection within {self.config.connect_timeout:g} s") from None
        except ConnectionRefusedError:
            raise HttpError("REFUSED", f"connection refused by {endpoint.host}:{endpoint.port}") from None
        except ssl.SSLError as error:
            raise HttpError("ERROR", f"TLS: {error}"[:300]) from None
        except OSError as error:
            raise HttpError("REFUSED", f"cannot connect to {endpoint.host}:{endpoint.port}: {error}"[:300]) from None

    async def post(self, url: str, body: bytes) -> Reply:
        endpoint = self.endpoint(url)
        key = (endpoint.host, endpoint.port, endpoint.tls)
        head = (
            f"POST {endpoint.target} HTTP/1.1\r\nHost: {endpoint.host_header}\r\n"
            f'Content-Type: {message.CONTENT_TYPE}\r\nSOAPAction: "{message.SOAP_ACTION}"\r\n'
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
        ).encode("latin-1")
        idle = self._idle.setdefault(key, [])
        while idle:  # a kept connection the server closed meanwhile fails before any answer: take another
            reader, writer = idle.pop()
            try:
                return await self._exchange(key, reader, writer, head + body, reused=True)
            except _Stale:
                continue
        reader, writer = await self._connect(endpoint)
        try:
            return await self._exchange(key, reader, writer, head + body, reused=False)
        except _Stale:
            raise HttpError("ERROR", "the connection closed before any answer") from None

    async def _exchange(self, key, reader, writer, request: bytes, *, reused: bool) -> Reply:
        keep = False
        try:
            try:
                writer.write(request)
                await writer.drain()
                async with asyncio.timeout(self.config.read_timeout):
                    try:
                        status_line = await reader.readuntil(b"\r\n")
                    except (asyncio.IncompleteReadError, ConnectionError) as error:
                        raise _Stale() if reused else HttpError("ERROR", f"no answer: {error}"[:300]) from None
                    reply, keep = await self._read_reply(status_line, reader)
            except TimeoutError:
                raise HttpError("TIMEOUT", f"no answer within {self.config.read_timeout:g} s") from None
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError) as error:
                raise HttpError("ERROR", f"broken answer: {type(error).__name__}: {error}"[:300]) from None
            except ssl.SSLError as error:
                raise HttpError("ERROR", f"TLS: {error}"[:300]) from None
            return reply
        finally:
            if keep:
                self._idle.setdefault(key, []).append((reader, writer))
            else:
                writer.close()

    async def _read_reply(self, status_line: bytes, reader: asyncio.StreamReader) -> tuple[Reply, bool]:
        parts = status_line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        status = int(parts[1])
        raw = await reader.readuntil(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in raw.decode("latin-1").split("\r\n"):
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        keep = parts[0] == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        limit = self.config.max_answer_bytes
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks, size = [], 0
            while True:
                length = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                if length == 0:
                    await _trailers(reader)
                    break
                size += length
                if size > limit:
                    return Reply(status, headers, b"".join(chunks), True), False
                chunks.append(await reader.readexactly(length))
                await reader.readexactly(2)
            return Reply(status, headers, b"".join(chunks), False), keep
        if "content-length" in headers:
            length = int(headers["content-length"])
            if length > limit:
                return Reply(status, headers, await reader.readexactly(limit), True), False
            return Reply(status, headers, await reader.readexactly(length), False), keep
        body = await reader.read(limit + 1)  # no length: the body ends with the connection
        while len(body) <= limit and (more := await reader.read(limit + 1 - len(body))):
            body += more
        return Reply(status, headers, body[:limit], len(body) > limit), False

    async def close(self) -> None:
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()


class _Stale(Exception):
    """A reused keep-alive connection was closed by the server before it answered."""


async def _trailers(reader: asyncio.StreamReader) -> None:
    while (await reader.readuntil(b"\r\n")) != b"\r\n":
        pass


def _excerpt(body: bytes) -> str:
    return body[:300].decode("utf-8", "replace")


async def send(connections: Connections, config: NotifyConfig, row: dict) -> Result:
    """POST one notification; the :class:`Result` of the attempt (never raises for a subscriber's failure)."""
    ticket = row["ticket"]
    started = time.time()
    clock = time.perf_counter()

    def done(outcome: str, status: int | None = None, answer: str = "", error: str = "") -> Result:
        return Result(ticket, started, (time.perf_counter() - clock) * 1000, status, outcome, answer, error)

    try:
        reply = await connections.post(row["endpoint_url"], message.notification(row))
    except HttpError as error:
        return done(error.outcome, error=str(error))
    status, body = reply.status, reply.body
    if reply.too_long:
        return done("BAD_ANSWER", status, _excerpt(body), f"answer longer than {config.max_answer_bytes} bytes")
    if 300 <= status < 400:
        where = reply.headers.get("location", "?")
        return done("HTTP", status, _excerpt(body), f"redirect to {where} not followed: register the final URL")
    answer: message.Answer | None = None
    parse_error = ""
    try:
        answer = message.parse_answer(body)
    except message.BadAnswer as error:
        parse_error = str(error)
    if answer is not None and answer.value == "FAULT":
        return done("FAULT", status, answer.summary(), f"SOAP fault (HTTP {status})")
    if status >= 500 or status in TRANSIENT_HTTP:
        return done("HTTP", status, _excerpt(body), f"HTTP {status}: retried")
    if status >= 400:
        return done("HTTP", status, _excerpt(body), f"HTTP {status}: the subscriber refuses the request; retried")
    if answer is None:
        return done("BAD_ANSWER", status, _excerpt(body), parse_error)
    if answer.value == "NOK":
        return done("NOK", status, answer.summary(), "the subscriber answered NOK")
    if answer.ticket.lower() != ticket.lower():  # the echo is what ties the OK to this notification
        echoed = answer.ticket or "no ticket"
        return done("BAD_ANSWER", status, answer.summary(), f"the OK answer echoes {echoed}, not {ticket}")
    return done("OK", status, answer.summary())

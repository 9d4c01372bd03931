"""What the defences against hostile clients cost a request, in CPU (``time.process_time``: meaningful on a loaded
machine, where the service benchmark's throughput and p99 are not): the connection limits of
``service.connections`` against uvicorn's plain httptools protocol, and the failed-login counts in the shared
SQLite store (``service.auth.SharedFailures``) against counts in memory.

    .venv/bin/python -m bench.service_guard [--requests 20000] [--rounds 5] [--home BENCH_HOME/b20000-y5]

The protocols are driven in process on uvloop's event loop (the service's), without sockets: a kept-alive
connection, one small POST after another through a trivial ASGI application. With ``--home`` (a home made by
``bench.service_bench``: its snapshot and request bodies), whole consultations (``ConsultationService.answer``:
credentials from the cache, parse, look-up, answer, audit record written, not waited for) with each store. The
variants alternate, round after round, so that the machine's other load falls on each alike; the best round counts.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import time
from pathlib import Path

import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from bench import RESULTS, record
from service.auth import Authenticator, MemoryFailures
from service.connections import GuardedHttpProtocol

REQUEST = (
    b"POST /soap/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
    b'Authorization: Basic YmVuY2g6cHc=\r\nSOAPAction: "x"\r\nContent-Length: 600\r\n\r\n' + b"x" * 600
)


async def _app(scope, receive, send) -> None:
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.responses = 0
        self.closing = False

    def write(self, data) -> None:
        self.responses += bytes(data).count(b"HTTP/1.1 200")

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 40000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _protocol_cpu(kind: type, requests: int) -> float:
    """CPU seconds per request through ``kind`` on one kept-alive connection."""
    config = uvicorn.Config(_app, http=kind, log_level="warning", access_log=False, proxy_headers=False)
    config.load()
    state = ServerState()
    protocol = kind(config=config, server_state=state, app_state={}, _loop=asyncio.get_running_loop())
    transport = _Transport()
    protocol.connection_made(transport)
    started = time.process_time()
    for _ in range(requests):
        protocol.data_received(REQUEST)
        while state.tasks:
            await asyncio.sleep(0)
    spent = time.process_time() - started
    assert state.total_requests == requests and transport.responses == requests, (state.total_requests, requests)
    protocol.connection_lost(None)
    return spent / requests


def _consultation_cpu(home: Path, shared: bool, requests: int) -> float:
    """CPU seconds per consultation through the service's pipeline, with the shared store or counts in memory."""
    from bench.service_bench import ACTION, PASSWORD, USER
    from kernel.settings import settings
    from service.channels import SOAP_CHANNELS
    from service.handlers import ConsultationService
    from service.pipeline import Incoming

    bodies = [line.encode() for line in (home / "bench-bodies.txt").read_text().splitlines()[:requests]]
    header = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    channel = SOAP_CHANNELS["LivingWagesWithAmount"]
    options = {} if shared else {"authenticator": Authenticator(failures=MemoryFailures(60.0))}
    service = ConsultationService(settings(home).ensure(), **options)
    try:
        for body in bodies[:300]:  # warm: snapshot open, credentials verified and cached
            service.answer(channel, Incoming(body, header, "127.0.0.1", ACTION, "text/xml"))
        started = time.process_time()
        for body in bodies:
            pending = service.answer(channel, Incoming(body, header, "127.0.0.1", ACTION, "text/xml"))
        spent = time.process_time() - started
        assert pending.reply.http_status == 200, pending.reply.content[:300]
    finally:
        service.audit.close()
    return spent / len(bodies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--home", type=Path, help="a service bench home (BENCH_HOME/b<N>-y<Y>) for consultations")
    parser.add_argument("--output", default=str(RESULTS / "service_guard.json"))
    args = parser.parse_args()
    runs: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for name, kind in (("uvicorn_httptools", HttpToolsProtocol), ("guarded", GuardedHttpProtocol)):
            runs.setdefault(f"protocol_{name}", []).append(uvloop.run(_protocol_cpu(kind, args.requests)))
        if args.home:
            for name, shared in (("memory", False), ("shared_sqlite", True)):
                runs.setdefault(f"consultation_{name}", []).append(_consultation_cpu(args.home, shared, args.requests))
    best = {name: round(min(values) * 1e6, 2) for name, values in runs.items()}
    for name, value in best.items():
        print(f"{name}: {value} µs CPU per request (best of {args.rounds})")
    results = {
        "home": str(args.home) if args.home else None,
        "requests": args.requests,
        "rounds": args.rounds,
        "best_us_cpu_per_request": best,
        "all_us": {name: [round(v * 1e6, 2) for v in values] for name, values in runs.items()},
    }
    record(results, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

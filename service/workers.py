"""Several worker processes on one port, with the connections handed to them in turn.

uvicorn's own multi-process mode shares the listening socket: every worker asleep on it wakes for a new
connection, and the first one to run accepts all that are queued. Connections opened together (a client's pool, a
load generator) can then all land on one worker while the others idle, at half the throughput
(``bench/README.md``). Here the parent process accepts, and hands each
connection to the next worker in turn (its file descriptor passed over a Unix socket pair); each worker runs the
application in uvicorn's server and adopts the connections it is handed. The parent restarts a worker that dies
(after a delay doubling from 1 s to a minute while workers keep dying within 10 s of their start) and, on SIGINT
or SIGTERM, stops them all (each finishes the requests it holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import socket
import threading
import time
from typing import Any

import uvicorn

from service.limits import limits

APP = "service.app:app_from_environment"
log = logging.getLogger("uvicorn.error")
# A worker that dies this soon after it started is failing at its start (a file it cannot read, a broken
# installation): it is started again after a delay that doubles each time, not in a tight loop of spawns.
YOUNG_S = 10.0
FIRST_DELAY_S, MAX_DELAY_S = 1.0, 60.0


def restart_delay(lived_s: float, previous_delay_s: float) -> float:
    """Seconds to wait before starting again a worker that died after ``lived_s`` seconds, the previous delay
    of its slot being ``previous_delay_s`` (0 after a worker that lived)."""
    if lived_s >= YOUNG_S:
        return 0.0
    return min(MAX_DELAY_S, max(FIRST_DELAY_S, 2 * previous_delay_s))


class _HandedServer(uvicorn.Server):
    """uvicorn's server without a listening socket of its own: it serves the connections the parent hands it."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self._adopting: set[asyncio.Task] = set()  # held until done (the loop keeps only weak references)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the application's lifespan, no listener
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self._receive)

    def _protocol(self) -> asyncio.Protocol:
        return self.config.http_protocol_class(
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )

    def _receive(self) -> None:
        try:
            message, fds, _flags, _address = socket.recv_fds(self.channel, 16, 4)
        except BlockingIOError:
            return
        if not message:  # the parent is gone: stop serving
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
            self.should_exit = True
            return
        loop = asyncio.get_running_loop()
        for fd in fds:
            connection = socket.socket(fileno=fd)
            connection.setblocking(False)
            # a TLS handshake gets the time of a request head (``service.limits``), not asyncio's default minute
            handshake = limits().head_timeout_s if self.config.ssl else None
            adopt = loop.connect_accepted_socket(
                self._protocol, connection, ssl=self.config.ssl, ssl_handshake_timeout=handshake
            )
            task = loop.create_task(adopt)
            self._adopting.add(task)
            task.add_done_callback(self._adopting.discard)


def _worker(channel: socket.socket, options: dict[str, Any], app: str) -> None:
    """A worker process: the application served on the connections that come through ``channel``."""
    channel.setblocking(False)
    _HandedServer(uvicorn.Config(app, factory=True, **options), channel).run()


def serve(workers: int, host: str, port: int, options: dict[str, Any], app: str = APP) -> None:
    """Listen on ``host:port`` and serve with ``workers`` processes (``options``: those of ``uvicorn.Config``;
    ``app``: the import path of the application's factory, which each worker calls)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=2048)
    listener.settimeout(0.5)  # wakes to notice a stop or a dead worker
    context = multiprocessing.get_context("spawn")
    slots: list[tuple[multiprocessing.process.BaseProcess, socket.socket]] = []
    started = [0.0] * workers  # when each slot's worker was started (monotonic)
    delays = [0.0] * workers  # the delay before each slot's last restart
    due: list[float | None] = [None] * workers  # when a dead worker's slot starts another

    def start(index: int) -> tuple[multiprocessing.process.BaseProcess, socket.socket]:
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # one message per connection
        process = context.Process(target=_worker, args=(child_end, options, app), name=f"lww-serve-{index}")
        process.start()
        child_end.close()
        started[index] = time.monotonic()
        return process, parent_end

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    log.info("lww serve: %d worker processes on %s:%d, connections handed in turn", workers, host, port)
    try:
        slots.extend(start(i) for i in range(workers))
        turn = 0
        while not stop.is_set():
            for i, (process, channel) in enumerate(slots):
                if process.is_alive() or stop.is_set():
                    continue
                now = time.monotonic()
                if due[i] is None:  # just found dead: its connections go to the others meanwhile
                    channel.close()
                    delays[i] = restart_delay(now - started[i], delays[i])
                    due[i] = now + delays[i]
                    log.warning(
                        "worker %s exited (code %s) after %.1f s: starting another in %.0f s",
                        process.pid,
                        process.exitcode,
                        now - started[i],
                        delays[i],
                    )
                if now >= due[i]:
                    due[i] = None
                    slots[i] = start(i)
            try:
                connection, _ = listener.accept()
            except (TimeoutError, InterruptedError):
                continue
            with connection:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for _ in range(workers):  # the next live worker takes it
                    process, channel = slots[turn % workers]
                    turn += 1
                    with contextlib.suppress(OSError):
                        socket.send_fds(channel, [b"c"], [connection.fileno()])
                        break
    finally:
        listener.close()
        for process, channel in slots:
            channel.close()  # a worker whose channel closes stops too
            if process.is_alive():
                process.terminate()
        for process, _ in slots:
            process.join(timeout=20)
            if process.is_alive():
                process.kill()

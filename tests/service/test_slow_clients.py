"""Hostile and careless clients against `lww serve` as an operator runs it, on loopback (issue 19, items 1 to 3 and 5).

Each server runs with small limits (2 s timeouts, a few dozen connections per worker) so that the tests stay short:
a few hundred idle and half-sent connections, held while legitimate clients are answered; a head too large; a
request that never finishes its body; every worker busy (503 with Retry-After); failed logins spread over the
workers and over forged X-Forwarded-For addresses.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from lxml import etree

from service.schemas import LIVING_WAGES_WITH_AMOUNT
from tests.service.conftest import PASSWORD_A, USER_A, USER_B, home_with_fixture
from tests.service.test_serve_workers import _free_port, _one_response
from tests.service.test_soap_refusals import AMOUNT_OP, envelope

PATH = LIVING_WAGES_WITH_AMOUNT.path
HEAD_TIMEOUT = BODY_TIMEOUT = 2
LWW = Path(sys.executable).with_name("lww")


class Server:
    def __init__(self, home: Path, *options: str) -> None:
        self.home, self.port = home, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home.parent / f"serve-{self.port}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(LWW), "--home", str(home), "serve", "--port", str(self.port), "--log-level", "warning", *options],
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "LWW_HOME": str(home)},
            )
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + "/health", timeout=5).status_code == 200:
                    return
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"lww serve did not start: {self.output()}")
            time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def ask(self, client: httpx.Client, auth=(USER_A, PASSWORD_A), headers=None) -> httpx.Response:
        return client.post(
            self.url + PATH,
            content=envelope(),
            auth=auth,
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{LIVING_WAGES_WITH_AMOUNT.soap_action(AMOUNT_OP)}"',
                "Connection": "close",  # a new connection each time: the acceptor hands them to the workers in turn
                **(headers or {}),
            },
        )

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # keeps hundreds of them cheap
        return sock

    def metric(self, name: str) -> float:
        text = httpx.get(self.url + "/metrics", timeout=10).text
        return sum(float(value) for value in re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def _head(length: int, extra: str = "") -> bytes:
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: {length}\r\n{extra}\r\n"
    ).encode()


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # b"": closed; data: the server answered (and closes)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(10)


def _closed_within(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing ``sock`` within ``seconds``, or None if it is still open then."""
    sock.settimeout(0.2)
    received, deadline = b"", time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    return None


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, fixture_published):
    """Two workers, each holding at most 40 connections, 2 s for a head and 2 s for a body."""
    home = home_with_fixture(tmp_path_factory.mktemp("guarded") / "home", fixture_published)
    server = Server(
        home,
        "--workers",
        "2",
        "--max-connections",
        "40",
        "--head-timeout",
        str(HEAD_TIMEOUT),
        "--body-timeout",
        str(BODY_TIMEOUT),
        "--max-header-bytes",
        "4096",
        "--public-url",
        "https://lww.example.be/",
    )
    yield server
    server.stop()


def test_clients_are_answered_while_hundreds_of_idle_and_half_sent_connections_are_held(guarded):
    crowd: list[socket.socket] = []
    try:
        for i in range(300):  # 5 per worker wait for a body; the others send nothing or half a head
            sock = guarded.connect()
            if i % 30 == 29:
                sock.sendall(_head(2000) + b"<soapenv:Envelope")
            elif i % 2:
                sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode())
            crowd.append(sock)
        with httpx.Client(timeout=10) as client:
            answers = [guarded.ask(client) for _ in range(20)]
        assert [a.status_code for a in answers] == [200] * 20, answers[-1].text
        assert all(b"<status><value>" in a.content for a in answers)  # consultations answered
        assert sum(_still_open(sock) for sock in crowd) >= 40  # answered while the crowd is held, not after it
        # every one of the crowd is closed: the oldest at once to make room, the others at their timeout
        outcomes = [_closed_within(sock, HEAD_TIMEOUT + BODY_TIMEOUT + 3) for sock in crowd]
        assert all(outcome is not None for outcome in outcomes), sum(o is None for o in outcomes)
        timed_out = [o for o in outcomes if o.startswith(b"HTTP/1.1 408")]
        assert timed_out and all(b"connection: close" in o for o in timed_out)
    finally:
        for sock in crowd:
            sock.close()
    # the 10 that never finished their body: counted, one line each, no traceback
    deadline = time.monotonic() + 5
    while guarded.metric("lww_service_client_disconnects_total") < 10 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert guarded.metric("lww_service_client_disconnects_total") == 10
    output = guarded.output()
    assert output.count("gone before sending its whole request body") == 10
    assert "Traceback" not in output and "Exception in ASGI" not in output
    assert "connection closed: no request head within 2 s" in output


def test_a_client_that_hangs_up_mid_body_is_counted_without_a_traceback(guarded):
    before = guarded.metric("lww_service_client_disconnects_total")
    for _ in range(3):
        with guarded.connect() as sock:
            sock.sendall(_head(5000) + b"<soapenv:Envelope xmlns:soapenv=")
            time.sleep(0.2)  # the application is waiting for the rest
    deadline = time.monotonic() + 5
    while guarded.metric("lww_service_client_disconnects_total") < before + 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert guarded.metric("lww_service_client_disconnects_total") == before + 3
    assert "Traceback" not in guarded.output()


def test_a_head_over_the_limit_is_431_and_closed(guarded):
    with guarded.connect() as sock:
        sock.sendall(_head(0, "X-Big: " + "a" * 5000 + "\r\n"))
        answer = _closed_within(sock, 5)
    assert answer is not None and answer.startswith(b"HTTP/1.1 431"), answer
    # a head that never ends is cut off once over the limit, not buffered (100 MB held a worker's memory)
    with guarded.connect() as sock:
        sent = 0
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            sock.sendall(_head(0)[:-2] + b"X-Endless: ")
            while sent < 10_000_000:
                sock.sendall(b"b" * 65536)
                sent += 65536
        assert sent < 10_000_000  # refused long before
    with httpx.Client(timeout=10) as client:
        assert guarded.ask(client).status_code == 200


def test_a_connection_that_sends_nothing_gets_408_after_the_head_timeout(guarded):
    with guarded.connect() as sock:
        started = time.monotonic()
        answer = _closed_within(sock, HEAD_TIMEOUT + 5)
        elapsed = time.monotonic() - started
    assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
    assert HEAD_TIMEOUT - 0.5 < elapsed < HEAD_TIMEOUT + 3


def test_a_kept_alive_connection_that_starts_a_request_and_stalls_gets_408(guarded):
    """After an answer the connection may idle as long as --keep-alive (75 s); once the next request has begun,
    its head has the head's time."""
    with guarded.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _one_response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        started = time.monotonic()
        answer = _closed_within(sock, HEAD_TIMEOUT + 5)
    assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < HEAD_TIMEOUT + 3


def test_failed_logins_are_counted_over_every_worker_and_forged_forwarding_headers_are_ignored(guarded):
    with httpx.Client(timeout=30) as client:
        # one username from "rotating addresses", on new connections spread over both workers
        codes = [
            guarded.ask(client, auth=(USER_B, "wrong"), headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(7)
        ]
        assert codes == [401] * 5 + [429] * 2
        refused = guarded.ask(client, auth=(USER_B, "wrong"))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        # rotating usernames from one address: X-Forwarded-For from an untrusted peer does not change the address
        codes = [
            guarded.ask(client, auth=(f"nobody{i}", "x"), headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(16)
        ]
        # 5 + 15 failures from 127.0.0.1 (a throttled attempt is not a failure): the 21st waits
        assert codes == [401] * 15 + [429]


def test_the_wsdl_names_the_public_url(guarded):
    response = httpx.get(guarded.url + PATH + "?wsdl", headers={"Host": "evil.example"}, timeout=10)
    locations = etree.fromstring(response.content).xpath("//*[local-name()='address']/@location")
    assert locations == ["https://lww.example.be" + PATH]


def test_every_worker_busy_is_503_with_retry_after_then_answered_again(tmp_path, fixture_published):
    home = home_with_fixture(tmp_path / "home", fixture_published)
    server = Server(
        home, "--workers", "1", "--max-connections", "3", "--body-timeout", "3", "--forwarded-allow-ips", "127.0.0.1"
    )
    try:
        busy = [server.connect() for _ in range(3)]
        for sock in busy:
            sock.sendall(_head(2000) + b"<soapenv:Envelope")
        time.sleep(0.3)
        with httpx.Client(timeout=10) as client:
            refused = server.ask(client)
            assert refused.status_code == 503 and refused.headers["retry-after"] == "5", refused.text
            for sock in busy:
                assert _closed_within(sock, 6) is not None  # their body timeout
            assert server.ask(client).status_code == 200
            # behind a trusted proxy (here: loopback), X-Forwarded-For is the client's address: 21 failures from
            # 21 addresses over 21 usernames are no address's 21st
            codes = {
                server.ask(client, auth=(f"nobody{i}", "x"), headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                for i in range(21)
            }
            assert codes == {401}
        assert "Traceback" not in server.output()
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--public-url", "ftp://lww.example.be"], "--public-url ftp://lww.example.be: expected http(s)://"),
        (["--max-connections", "0"], "--max-connections 0: expected 1 or more"),
        (["--head-timeout", "0"], "--head-timeout 0.0: expected 0.1 or more"),
        (["--max-header-bytes", "100"], "--max-header-bytes 100: expected 1024 or more"),
        (["--max-connections", "100000000"], "--max-connections 100000000: the open-file limit allows"),
    ],
)
def test_bad_limits_are_one_line_errors(tmp_path, options, message):
    done = subprocess.run(
        [str(LWW), "--home", str(tmp_path), "serve", *options], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_serve_run_in_process_leaves_the_environment_as_it_was(tmp_path, monkeypatch):
    """The limits and the public URL reach the workers through the environment only while serving: a serve that
    stops (here at a bad setting, checked once they are known) leaves no value behind for what runs next."""
    from lww.cli import main

    monkeypatch.setenv("LWW_SERVICE_WORKERS", "six")
    before = dict(os.environ)
    assert main(["--home", str(tmp_path), "serve", "--port", "1", "--public-url", "https://lww.example.be"]) == 2
    assert dict(os.environ) == before

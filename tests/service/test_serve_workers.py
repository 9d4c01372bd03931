"""`lww serve --workers 2`: two worker processes behind one loopback port, as an operator runs it.

Checks what several processes could break: the answers, exactly one audit record per request across the
per-process audit files (and the warehouse's loader reading them all), metrics summed over the workers, the
index files built once and shared, and a switch of CURRENT picked up by every worker.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import httpx
import pytest
from lxml import etree

from ingest.audit_log import load_audit
from kernel.settings import settings as make_settings
from service.schemas import LIVING_WAGES
from tests.service.conftest import PASSWORD_A, USER_A, X, fixture_rows, home_with_fixture, publish
from tests.service.test_soap_refusals import envelope

R2 = dt.date(2026, 8, 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _periods(content: bytes) -> list[tuple[str, str]]:
    root = etree.fromstring(content)
    return [(p.findtext("beginDate"), p.findtext("endDate")) for p in root.iter("livingWagePeriod")]


def _ask(client: httpx.Client, url: str) -> tuple[str, list[tuple[str, str]]]:
    """One getLivingWagePeriods for X on a new connection (so the kernel may hand it to either worker)."""
    response = client.post(
        url + "/soap/LivingWagesService/v2",
        content=envelope(LIVING_WAGES, "getLivingWagePeriods", ssin=X, begin="2024-01-01", end=None),
        auth=(USER_A, PASSWORD_A),
        headers={"Content-Type": "text/xml; charset=utf-8", "Connection": "close"},
    )
    assert response.status_code == 200 and b"<code>MSG00000</code>" in response.content, response.text
    ticket = etree.fromstring(response.content).findtext(".//informationCBSS/ticketCBSS")
    return ticket, _periods(response.content)


def _records(home: Path) -> dict[int, list[dict]]:
    """Audit records by the pid in their file's name (``audit-YYYYMMDD-HHMMSS-<pid>.jsonl``)."""
    import json

    found: dict[int, list[dict]] = {}
    for path in sorted((home / "audit").glob("audit-*.jsonl")):
        pid = int(path.name.split(".")[0].rsplit("-", 1)[1])
        found.setdefault(pid, []).extend(json.loads(line) for line in path.read_text().splitlines())
    return found


def _server_log_path(home: Path) -> Path:
    return home.parent / "serve.log"


def _server_log(home: Path) -> str:
    """The end of the server's log: what a failed request's traceback says."""
    return _server_log_path(home).read_text(errors="replace")[-6000:]


@pytest.fixture
def two_workers(tmp_path, fixture_published):
    home = home_with_fixture(tmp_path / "home", fixture_published)
    port = _free_port()
    lww = Path(sys.executable).with_name("lww")
    # the server's log in a file (a pipe nobody reads could fill and block it), quoted by failing assertions
    with _server_log_path(home).open("wb") as output:
        process = subprocess.Popen(
            [str(lww), "--home", str(home), "serve", "--port", str(port), "--workers", "2", "--log-level", "warning"],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LWW_HOME": str(home)},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"lww serve --workers 2 did not start: {_server_log(home)}")
            time.sleep(0.2)
        yield home, url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_two_worker_processes_answer_audit_and_switch_together(two_workers):
    home, url = two_workers
    first_end = "2026-07-04"  # R of the fixture snapshot: the open right ends there
    expected = [("2024-03-01", "2024-12-31"), ("2025-03-01", first_end)]
    tickets: list[str] = []
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(8) as pool:
        # concurrent requests on fresh connections until both workers have answered some (the kernel hands a
        # new connection to whichever worker accepts first: usually both within a round or two)
        for _ in range(40):
            for ticket, periods in pool.map(lambda _: _ask(client, url), range(16)):
                assert periods == expected
                tickets.append(ticket)
            if len(_records(home)) >= 2:
                break
        by_pid = _records(home)
        assert len(by_pid) == 2, f"one worker answered everything: {list(by_pid)}"

        # exactly one audit record per request, across the per-process files
        logged = [r["ticket_cbss"] for records in by_pid.values() for r in records]
        assert sorted(logged) == sorted(tickets)

        # and the warehouse's loader reads every worker's file
        with duckdb.connect() as connection:
            report = load_audit(connection, make_settings(home))
            assert report.files >= 2 and report.inserted == len(tickets)

        # request counts are summed over the workers, whichever one answers the scrape
        for _ in range(4):
            text = client.get(url + "/metrics", headers={"Connection": "close"}).text
            counted = sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("lww_service_requests_total{")
            )
            assert counted == len(tickets)

        # the index files were built once, in the service's folder, not beside the published snapshot
        built = [p for p in (home / "service-cache" / "indexes").iterdir() if p.is_dir()]
        assert len(built) == 1 and list(built[0].glob("*.npy"))
        assert not [p for p in (home / "published").iterdir() if p.suffix == ".npy"]

        # CURRENT switches: every worker answers from the new snapshot (R2) once it has loaded it
        new_id = publish(home / "published", fixture_rows(), reference_date=R2)
        switched: set[int] = set()
        deadline = time.monotonic() + 60
        while switched != set(by_pid) and time.monotonic() < deadline:
            for ticket, periods in pool.map(lambda _: _ask(client, url), range(8)):
                assert periods in (expected, [expected[0], (expected[1][0], R2.isoformat())])
                tickets.append(ticket)
            for pid, records in _records(home).items():
                if any(r["snapshot_id"] == new_id for r in records):
                    switched.add(pid)
        assert switched == set(by_pid), "a worker kept serving the old snapshot"
        text = client.get(url + "/metrics", headers={"Connection": "close"}).text
        serving = [line for line in text.splitlines() if line.startswith("lww_service_worker_snapshot{")]
        assert sum(f'refresh_id="{new_id}"' in line and line.endswith(" 1.0") for line in serving) == 2, serving

    by_pid = _records(home)
    logged = [r["ticket_cbss"] for records in by_pid.values() for r in records]
    assert sorted(logged) == sorted(tickets) and len(set(logged)) == len(logged)


def test_connections_opened_together_are_handed_to_the_workers_in_turn_and_a_dead_worker_is_replaced(two_workers):
    home, url = two_workers

    def keep_alive_client(requests: int) -> list[str]:
        """One connection, kept open, making ``requests`` requests (a pool's connection, a load generator's)."""
        with httpx.Client(timeout=30) as client:
            found = []
            for _ in range(requests):
                response = client.post(
                    url + "/soap/LivingWagesService/v2",
                    content=envelope(LIVING_WAGES, "getLivingWagePeriods", ssin=X, begin="2024-01-01", end=None),
                    auth=(USER_A, PASSWORD_A),
                    headers={"Content-Type": "text/xml; charset=utf-8"},
                )
                assert response.status_code == 200, (response.text, _server_log(home))
                found.append(etree.fromstring(response.content).findtext(".//informationCBSS/ticketCBSS"))
            return found

    with ThreadPoolExecutor(8) as pool:
        tickets = [t for found in pool.map(keep_alive_client, [5] * 8) for t in found]
    by_ticket = {r["ticket_cbss"]: pid for pid, records in _records(home).items() for r in records}
    per_worker: dict[int, int] = {}
    for ticket in tickets:
        per_worker[by_ticket[ticket]] = per_worker.get(by_ticket[ticket], 0) + 1
    # 8 connections opened at once: 4 each, whichever worker woke first (uvicorn's shared socket gave one all 8)
    assert sorted(per_worker.values()) == [20, 20], per_worker

    victim = next(iter(per_worker))
    os.kill(victim, 9)
    deadline = time.monotonic() + 60
    while True:  # the supervisor starts another worker (after a second: the victim died young), which answers too
        try:
            if len([keep_alive_client(1) for _ in range(4)]) == 4 and len(set(_records(home))) == 3:
                break
        except (httpx.TransportError, AssertionError):
            pass
        assert time.monotonic() < deadline, "no worker took the dead one's turn"
        time.sleep(0.5)
    pids = set(_records(home))
    assert victim in pids and len(pids) == 3  # the dead worker's records stay; a new worker has its own file
    assert "starting another in 1 s" in _server_log(home)


def test_an_idle_connection_is_kept_longer_than_the_clients_own_expiry(two_workers):
    """A connection idle for 6 s (beyond httpx's and Java's 5 s expiry, and uvicorn's 5 s default) still answers:
    the server must not be the one to close an idle connection first (a request sent as it closes is lost)."""
    _, url = two_workers
    port = int(url.rsplit(":", 1)[1])
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for pause in (0, 6):
            time.sleep(pause)
            sock.sendall(request)
            answer = _one_response(sock)
            assert answer.startswith(b"HTTP/1.1 200"), (pause, answer[:200])


def _one_response(sock: socket.socket) -> bytes:
    """One whole HTTP response (head, then Content-Length bytes of body): the head and the body may arrive in
    separate segments, and a leftover body must not be read as the next request's answer."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(65536)
        assert chunk, ("the server closed the connection", answer[:200])
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, ("the server closed the connection", answer[:200])
        body += chunk
    return head + b"\r\n\r\n" + body

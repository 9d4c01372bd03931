"""`lww serve` as an operator runs it: a subprocess, over TLS with a self-signed certificate."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from service.schemas import LIVING_WAGES
from tests.service.conftest import PASSWORD_A, USER_A, home_with_fixture
from tests.service.test_soap_refusals import envelope


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_lww_serve_over_tls(tmp_path, fixture_published):
    home = home_with_fixture(tmp_path / "home", fixture_published)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    lww = Path(sys.executable).with_name("lww")
    process = subprocess.Popen(
        [str(lww), "--home", str(home), "serve", "--port", str(port), "--certfile", str(cert), "--keyfile", str(key)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "LWW_HOME": str(home)},
    )
    try:
        url = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(url + "/health", verify=str(cert), timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        response = httpx.post(
            url + "/soap/LivingWagesService/v2",  # authorised without end date: the real today is fine
            content=envelope(LIVING_WAGES, "getLivingWagePeriods"),
            verify=str(cert),
            auth=(USER_A, PASSWORD_A),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        assert response.status_code == 200 and b"<code>MSG00000</code>" in response.content
        assert list((home / "audit").glob("audit-*.jsonl"))
    finally:
        process.terminate()
        process.wait(timeout=10)

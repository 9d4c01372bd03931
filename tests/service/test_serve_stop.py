"""``lww serve`` stopped by SIGTERM to its process group (a supervisor, a terminal) says it stopped, in one line,
and does not report the audit syncer's end as a failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import home_with_fixture
from tests.service.test_serve_workers import _free_port


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_to_the_group_stops_the_service_quietly_and_it_says_so(workers, tmp_path, fixture_published):
    home = home_with_fixture(tmp_path / "home", fixture_published)
    port = _free_port()
    lww = Path(sys.executable).with_name("lww")
    process = subprocess.Popen(
        [str(lww), "--home", str(home), "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "the service did not start"
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, output
    lines = output.strip().splitlines()
    assert lines[-1].startswith("lww serve: stopped"), output
    assert not [line for line in lines if "syncer" in line or "Traceback" in line or "ERROR" in line], output

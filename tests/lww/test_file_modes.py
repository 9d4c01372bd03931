"""Nothing under LWW_HOME is readable by other local users (issue 19, item 8; ``kernel.permissions``).

The commands run as an operator runs them (each its own process, from a shell whose umask lets everyone read):
simulate, refresh (with an upstream file dropped world-readable and a broken one, archived and quarantined), serve
with a few requests (index files, audit log, failed-login store); then every file and folder of the home is walked.
"""

from __future__ import annotations

import contextlib
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.service.test_serve_workers import _free_port
from tests.service.test_soap_refusals import envelope

LWW = [sys.executable, "-m", "lww.cli"]


def _run(home: Path, *args: str) -> None:
    done = subprocess.run([*LWW, "--home", str(home), *args], capture_output=True, text=True, timeout=600, umask=0o022)
    assert done.returncode == 0, done.stderr[-3000:]


def _serve_a_little(home: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*LWW, "--home", str(home), "serve", "--port", str(port), "--workers", "2", "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        umask=0o022,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/health", timeout=5).status_code == 200:
                    break
            assert time.monotonic() < deadline and server.poll() is None, "lww serve did not start"
            time.sleep(0.2)
        for auth in (("nobody", "x"), None):
            headers = {"Content-Type": "text/xml; charset=utf-8", "Connection": "close"}
            response = httpx.post(url + "/soap/LivingWagesService/v2", content=envelope(), auth=auth, headers=headers)
            assert response.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_every_file_under_the_home_is_closed_to_other_users_and_secrets_to_the_group(tmp_path):
    home = tmp_path / "home"
    _run(home, "simulate", "--pcsa", "2", "--people", "15", "--from", "2025-12", "--to", "2026-02", "--seed", "5")
    dropped = sorted((home / "inbox" / "payments").glob("*.xml"))[0]
    dropped.chmod(0o644)  # an upstream file as a transfer tool leaves it
    broken = home / "inbox" / "payments" / "PAY-2026-02-999.xml"
    broken.write_text("<not-closed")
    broken.chmod(0o644)
    _run(home, "refresh", "--as-of", "2026-03-07")
    _serve_a_little(home)

    modes = {path.relative_to(home).as_posix(): stat.S_IMODE(path.lstat().st_mode) for path in home.rglob("*")}
    modes["."] = stat.S_IMODE(home.stat().st_mode)
    open_to_others = {name: oct(mode) for name, mode in modes.items() if mode & 0o007}
    assert open_to_others == {}
    folders = {name for name in modes if (home / name).is_dir()}
    assert all(modes[name] & 0o700 == 0o700 for name in folders)

    def files(pattern: str) -> dict[str, int]:
        found = {path.relative_to(home).as_posix() for path in home.glob(pattern) if path.is_file()}
        assert found, pattern
        return {name: modes[name] for name in found}

    secrets = {
        **files("reference/institutions.csv"),  # password hashes
        **files("reference/users.csv"),
        **files("audit/*.jsonl"),  # who consulted whom
        **files("run/login-failures.sqlite*"),
    }
    assert set(secrets.values()) == {0o600}, {name: oct(mode) for name, mode in secrets.items()}
    assert set(files("published/*.duckdb").values()) == {0o440}
    assert set(files("published/*.index/*").values()) == {0o440}  # the index files published with the snapshot
    moved = {**files("archive/**/*.xml"), **files("quarantine/*.xml")}
    assert set(moved.values()) == {0o640}, {name: oct(mode) for name, mode in moved.items()}
    assert any(name.endswith(dropped.name) for name in moved) and "quarantine/PAY-2026-02-999.xml" in moved
    assert files("warehouse/*.duckdb")

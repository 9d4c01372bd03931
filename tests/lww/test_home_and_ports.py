"""A command that only reads a home refuses one that does not exist (one line naming it and what to run first,
nothing created); a server command whose port is taken says so in one line, without a traceback."""

import os
import socket
import subprocess
import sys

import pytest

from lww import cli

READERS = [
    ["serve"],
    ["dashboards"],
    ["ui"],
    ["notify", "--status"],
    ["notify"],
    ["extract", "finances", "--year", "2025"],
    ["batch", "--watch", "--once"],
    ["rollback"],
    ["replay", "PAY-1.xml"],
]
assert {words[0] for words in READERS} == set(cli.COMMANDS) - set(cli.MAKE_HOME)


@pytest.mark.parametrize("words", READERS, ids=" ".join)
def test_a_reader_refuses_a_home_that_does_not_exist(words, tmp_path, capsys):
    missing = tmp_path / "nonexistent"
    assert cli.main(["--home", str(missing), *words]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1, error
    assert str(missing) in error and "lww demo" in error
    assert not missing.exists()


def _lww(*words, env=None, timeout=60):
    lww = os.path.join(os.path.dirname(sys.executable), "lww")
    return subprocess.run(
        [lww, *words], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


def test_lww_home_nonexistent_lww_serve_is_one_line(tmp_path):
    missing = tmp_path / "nonexistent"
    done = _lww("serve", env={"LWW_HOME": str(missing)})
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and str(missing) in done.stderr, done.stderr
    assert not missing.exists()


@pytest.mark.parametrize("command", ["serve", "dashboards", "subscriber"])
def test_a_taken_port_is_one_line(command, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _lww("--home", str(home), command, "--port", str(port))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"lww {command}: --port {port}: 127.0.0.1:{port} is already in use (another server listens there); "
        "stop it, or give another --port"
    ], done.stderr

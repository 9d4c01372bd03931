"""The warehouse has one writer. DuckDB refuses a second read-write process instead of waiting, so every step
that writes takes an exclusive file lock first: a second run waits (up to a timeout), then fails clearly.
Dagster's ``warehouse`` pool (limit 1) serialises runs under the daemon; this lock also covers runs started
outside it (``lww refresh``, tests, a second UI)."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kernel.errors import LwwError


@contextmanager
def exclusive(path: Path, *, timeout_s: float = 600.0, poll_s: float = 0.2) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LwwError(
                        f"the warehouse is being written by another run (lock {path} held for more than "
                        f"{timeout_s:.0f} s): wait for it to finish, or check for a stuck process"
                    ) from None
                time.sleep(poll_s)
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)

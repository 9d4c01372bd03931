"""The warehouse has one writer. DuckDB refuses a second read-write process instead of waiting, so every step
that writes takes an exclusive file lock first: a second run waits (up to a timeout), then fails clearly.
Dagster's ``warehouse`` pool (limit 1) serialises runs under the daemon; this lock also covers runs started
outside it (``lww refresh``, tests, a second UI).

A writer's child processes (dbt) hold the *children* lock beside it (shared) for as long as they live
(``dagster_project.children``): the warehouse is taken only once both are free, so a run killed with its dbt
still dying does not hand the warehouse to the next one too early."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kernel.errors import LwwError


def children_lock(path: Path) -> Path:
    """The lock file the writer's child processes hold: ``warehouse.lock`` -> ``warehouse.children.lock``."""
    return path.with_name(f"{path.stem}.children{path.suffix}")


def _pid_in(path: Path) -> str | None:
    """The pid the last holder wrote into a lock file, if any."""
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return text if text.isdigit() else None


def _try(descriptor: int, operation: int) -> bool:
    try:
        fcntl.flock(descriptor, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def busy(path: Path) -> str | None:
    """Who holds the warehouse now, in words (``None`` when it is free): a writer, or a child process of a
    writer that is gone. Takes nothing."""
    for lock, who in ((path, "a run"), (children_lock(path), "a child process (dbt) of an earlier run")):
        if not lock.exists():
            continue
        descriptor = os.open(lock, os.O_RDONLY)
        try:
            if not _try(descriptor, fcntl.LOCK_EX):  # exclusive: conflicts with the children's shared lock too
                pid = _pid_in(lock)
                return f"{who} (pid {pid})" if pid else who
            fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)
    return None


@contextmanager
def exclusive(path: Path, *, timeout_s: float = 600.0, poll_s: float = 0.2) -> Iterator[None]:
    handle = _open(path)
    deadline = time.monotonic() + timeout_s
    try:
        while not _try(handle, fcntl.LOCK_EX):
            if time.monotonic() >= deadline:
                holder = _pid_in(path)
                raise LwwError(
                    f"the warehouse is busy: another run{f' (pid {holder})' if holder else ''} has held {path} for "
                    f"more than {timeout_s:g} s; wait for it to finish, or check for a stuck process"
                )
            time.sleep(poll_s)
        _wait_for_children(children_lock(path), deadline, poll_s)
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)


def _wait_for_children(path: Path, deadline: float, poll_s: float) -> None:
    """Wait until no child process of an earlier writer holds the warehouse (then leave the lock free again, for
    this writer's own children)."""
    if not path.exists():
        return
    handle = os.open(path, os.O_RDONLY)
    try:
        while not _try(handle, fcntl.LOCK_EX):
            if time.monotonic() >= deadline:
                holder = _pid_in(path)
                who = f"a child process (dbt) of an earlier run{f' (pid {holder})' if holder else ''}"
                raise LwwError(f"the warehouse is busy: {who} still holds {path}; stop it, then refresh again")
            time.sleep(poll_s)
        fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)

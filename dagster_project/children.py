"""Child processes of a run die with it, and hold the warehouse until they are gone.

A run writes the warehouse through child processes too (``dbt build``). Killed, the run's process released the
warehouse lock at once while its dbt went on writing: the next refresh took the lock and then failed on DuckDB's
own lock. Two things prevent it:

- a child asks Linux to be killed when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, kept across
  ``exec``), so even a SIGKILL of the run's process takes its children with it;
- a child holds a shared lock on the warehouse's *children* lock file (:func:`dagster_project.lock.children_lock`)
  for as long as it lives, and a writer takes the warehouse only once that file is free: the warehouse is
  released when the last of them is gone, not when the parent is.

dagster-dbt starts dbt itself (no ``preexec_fn``), so dbt is started through this module:
``python -m dagster_project.children -- dbt build …`` sets both up, then ``exec``s the command (same pid).
The parent passes its pid and the lock file in ``LWW_CHILD_PARENT`` and ``LWW_CHILD_LOCK``.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import sys

PARENT_ENV = "LWW_CHILD_PARENT"
LOCK_ENV = "LWW_CHILD_LOCK"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int | None = None) -> None:
    """Be killed (SIGKILL) when the parent dies; also usable as a ``preexec_fn``. If the parent is already gone
    (``parent`` given and no longer ours), exit now. A no-op where Linux's prctl is not available."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    if parent is not None and os.getppid() != parent:
        os._exit(70)  # the parent died before the signal was armed: nobody is waiting for this child


def hold(lock: str) -> int:
    """Take a shared lock on ``lock`` for this process and whatever it execs; returns the descriptor."""
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(descriptor, fcntl.LOCK_SH)
    os.set_inheritable(descriptor, True)  # kept across exec: held until the command itself exits
    os.pwrite(descriptor, f"{os.getpid()}\n".encode().ljust(16), 0)
    return descriptor


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage: python -m dagster_project.children -- COMMAND [ARG...]", file=sys.stderr)
        return 64
    parent = os.environ.pop(PARENT_ENV, None)
    lock = os.environ.pop(LOCK_ENV, None)
    die_with_parent(int(parent) if parent else None)
    if lock:
        hold(lock)
    os.execvp(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Who may read what the system writes under ``LWW_HOME``: personal data, never every local user.

Every process that writes there starts with :func:`restrict` (the ``lww`` command line, and the Dagster code
location that ``lww ui`` / ``dagster dev`` loads): umask ``027``, so files are created ``0640`` and folders
``0750`` at most (owner, and the owner's group for operators; others nothing), and the processes they start
(dbt, the service's workers, Streamlit) inherit it. Secrets get ``0600`` explicitly, whatever the umask
(:func:`open_secret`): the reference CSVs holding password hashes, the service's audit log (who consulted whom)
and its store of failed logins. Published snapshots are made read-only for their owner and group (``0440``).
A file moved in rather than created (an upstream file archived or quarantined, dbt's partial-parse state copied
from the project) keeps the mode it had: those get :data:`FILE_MODE` explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path

UMASK = 0o027
FILE_MODE = 0o640  # what the umask gives a new file: also given to files moved in from elsewhere
SECRET_MODE = 0o600
SNAPSHOT_MODE = 0o440


def restrict() -> None:
    """Set this process's umask (and so its children's) to :data:`UMASK`."""
    os.umask(UMASK)


def open_secret(path: str | os.PathLike[str], flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """A file descriptor on ``path`` opened with ``flags``, the file ``0600`` (also when it already existed)."""
    fd = os.open(path, flags, SECRET_MODE)
    os.fchmod(fd, SECRET_MODE)
    return fd


def create_secret(path: Path) -> None:
    """``path`` created empty with mode ``0600`` if missing (before a library opens it with its own mode)."""
    os.close(open_secret(path, os.O_WRONLY | os.O_CREAT))

"""Processes of this machine, as the parts see them."""

import os


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists here (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

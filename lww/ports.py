"""A port a server command is about to listen on, checked first: taken, it is a one-line error naming it, not
the server's traceback (uvicorn's, Streamlit's, the subscriber's) once it tries to bind."""

from __future__ import annotations

import errno
import socket

from kernel.errors import LwwError


def check_free(host: str, port: int) -> None:
    """Raise :class:`LwwError` when ``host:port`` cannot be listened on (taken by another server, or an address
    that is not this machine's). ``SO_REUSEADDR`` as the servers set it: a port left in TIME_WAIT is free."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise LwwError(f"--host {host}: {error.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise LwwError(
                    f"--port {port}: {host}:{port} is already in use (another server listens there); stop it, "
                    "or give another --port"
                ) from None
            raise LwwError(f"cannot listen on {host}:{port}: {error.strerror}") from None

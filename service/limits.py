"""The limits of a connection to the service (``service.connections`` enforces them), read from the environment.

Apart from the protocol so that ``lww serve`` shows the defaults in its help without importing uvicorn.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kernel.settings import env_number

DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DEFAULT_HEAD_TIMEOUT_S = 10
DEFAULT_BODY_TIMEOUT_S = 10
DEFAULT_MAX_CONNECTIONS = 1000


@dataclass(frozen=True)
class Limits:
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    head_timeout_s: float = DEFAULT_HEAD_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    def environment(self) -> dict[str, str]:
        """These limits as the environment :func:`limits` reads (for the worker processes)."""
        return {
            "LWW_SERVICE_MAX_HEADER_BYTES": str(self.max_header_bytes),
            "LWW_SERVICE_HEAD_TIMEOUT": str(self.head_timeout_s),
            "LWW_SERVICE_BODY_TIMEOUT": str(self.body_timeout_s),
            "LWW_SERVICE_MAX_CONNECTIONS": str(self.max_connections),
        }


@functools.cache
def limits() -> Limits:
    """The limits in the environment (read once per process)."""
    return Limits(
        max_header_bytes=env_number("LWW_SERVICE_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES, minimum=1024),
        head_timeout_s=env_number("LWW_SERVICE_HEAD_TIMEOUT", float(DEFAULT_HEAD_TIMEOUT_S), minimum=0.1),
        body_timeout_s=env_number("LWW_SERVICE_BODY_TIMEOUT", float(DEFAULT_BODY_TIMEOUT_S), minimum=0.1),
        max_connections=env_number("LWW_SERVICE_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, minimum=1),
    )

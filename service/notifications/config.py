"""The notifier's settings, from the environment (each read once, checked before a delivery starts)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kernel.errors import LwwError
from kernel.settings import env_number


@dataclass(frozen=True)
class NotifyConfig:
    max_attempts: int = 12  # then parked; with the backoff below, about a day of attempts
    backoff_seconds: float = 40.0  # first retry after about this long, doubling at each attempt, jittered
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    per_subscriber: int = 16  # notifications in flight per subscriber (each a different right)
    max_answer_bytes: int = 64 * 1024  # a longer answer is cut and refused (never read whole)
    ca_bundle: Path | None = None  # a custom CA for subscribers' TLS certificates; verification is always on
    linger_seconds: float = 5.0  # `lww notify` without --follow waits for a retry due within this long
    poll_seconds: float = 2.0  # --follow: how often CURRENT is looked at


def from_environment() -> NotifyConfig:
    """The settings of ``LWW_NOTIFY_*``; a malformed value is an :class:`LwwError` naming the variable."""
    ca = os.environ.get("LWW_NOTIFY_CA_BUNDLE", "").strip()
    if ca and not Path(ca).is_file():
        raise LwwError(f"LWW_NOTIFY_CA_BUNDLE={ca!r}: no such file (a PEM bundle of the CAs to trust)")
    defaults = NotifyConfig()
    return NotifyConfig(
        max_attempts=int(env_number("LWW_NOTIFY_MAX_ATTEMPTS", defaults.max_attempts, minimum=1)),
        backoff_seconds=float(env_number("LWW_NOTIFY_BACKOFF_SECONDS", defaults.backoff_seconds, minimum=0.0)),
        connect_timeout=float(env_number("LWW_NOTIFY_CONNECT_TIMEOUT", defaults.connect_timeout, minimum=0.01)),
        read_timeout=float(env_number("LWW_NOTIFY_READ_TIMEOUT", defaults.read_timeout, minimum=0.01)),
        per_subscriber=int(env_number("LWW_NOTIFY_CONCURRENCY", defaults.per_subscriber, minimum=1)),
        max_answer_bytes=defaults.max_answer_bytes,
        ca_bundle=Path(ca) if ca else None,
        linger_seconds=float(env_number("LWW_NOTIFY_LINGER_SECONDS", defaults.linger_seconds, minimum=0.0)),
        poll_seconds=float(env_number("LWW_NOTIFY_POLL_SECONDS", defaults.poll_seconds, minimum=0.05)),
    )

"""``lww subscriber [--port 8090] [--answer OK|NOK|SLOW|DOWN]``: a reference subscriber of notifications (§6)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kernel.errors import LwwError
from lww.ports import check_free


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "subscriber",
        help="a reference subscriber: receives notifications, keeps them by ticketCBSS, answers as told",
        description="A small SOAP server implementing the subscriber's side of LivingWagesNotifications (the WSDL "
        "at /soap/LivingWagesNotificationService/v1?wsdl); every receipt is kept as a JSON line.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--answer", default="OK", type=str.upper, choices=("OK", "NOK", "SLOW", "DOWN"))
    parser.add_argument(
        "--slow-seconds", type=float, default=120.0, help="SLOW: how long to wait before answering (default 120)"
    )
    parser.add_argument(
        "--receipts", type=Path, default=None, help="the receipts file (default $LWW_HOME/subscriber/received.jsonl)"
    )
    parser.set_defaults(handler=run)


def receipts_path(home) -> Path:
    return home.home / "subscriber" / "received.jsonl"


def run(args: argparse.Namespace) -> int:
    from service.notifications import subscriber

    if not 0 < args.port < 65536:
        raise LwwError(f"--port {args.port}: expected a port number from 1 to 65535")
    if args.slow_seconds < 0:
        raise LwwError(f"--slow-seconds {args.slow_seconds}: expected 0 or more")
    check_free(args.host, args.port)
    receipts = args.receipts or receipts_path(args.settings)
    try:
        receipts.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LwwError(f"--receipts {receipts}: cannot create its folder: {error.strerror}") from None
    subscriber.serve(receipts, host=args.host, port=args.port, answer=args.answer, slow_seconds=args.slow_seconds)
    return 0

"""``lww notify [--follow] [--status] [--retry-parked]``: deliver the due notifications (CONTRACT §6)."""

from __future__ import annotations

import argparse
import time

from kernel.errors import LwwError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "notify",
        help="deliver the notifications due in the current snapshot and not yet delivered, then exit",
        description="Deliver the notifications due in the current snapshot to the subscribers (CONTRACT §6). "
        "The delivery state lives in $LWW_HOME/notifications/; one notifier at a time.",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--follow", action="store_true", help="keep delivering, importing each new publication")
    what.add_argument("--status", action="store_true", help="list pending, late, delivered and parked per subscriber")
    parser.add_argument(
        "--retry-parked", action="store_true", help="queue the parked notifications again, then deliver"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kernel import delivery_state
    from service.notifications import config as notify_config
    from service.notifications import delivery, store

    home = args.settings
    config = notify_config.from_environment()
    if args.status:
        if args.retry_parked:
            raise LwwError("--status only reads: run --retry-parked without it")
        return _status(home.notifications)
    home.ensure()
    with store.notifier_lock(home.notifications):
        writer = store.Store(home.notifications)
        try:
            if args.retry_parked:
                print(f"{writer.retry_parked()} parked notifications queued again")
            started = time.perf_counter()
            summary = delivery.run(writer, config, home.published, follow=args.follow)
            seconds = time.perf_counter() - started
        finally:
            writer.close()
    failed = f", {summary.failed} failed attempts ({_outcomes(summary)})" if summary.failed else ""
    print(f"delivered {summary.delivered} in {seconds:.1f} s{failed}")
    reader = delivery_state.open_read_only(home.notifications)
    if reader is not None:
        with reader:
            rows = delivery_state.status(reader, late_minutes=delivery_state.late_minutes())
        pending, parked = sum(r["pending"] for r in rows), sum(r["parked"] for r in rows)
        if pending or parked:
            print(f"still pending {pending}, parked {parked}: lww notify --status")
    return 0


def _outcomes(summary) -> str:
    return ", ".join(f"{outcome} {n}" for outcome, n in sorted(summary.outcomes.items()) if outcome != "OK")


def _status(folder) -> int:
    from kernel import delivery_state as store

    reader = store.open_read_only(folder)
    if reader is None:
        print(f"no notifier has run yet ({folder} holds no delivery state)")
        return 0
    with reader:
        rows = store.status(reader, late_minutes=store.late_minutes())
        parked = store.parked(reader, limit=20)
    header = ("subscriber", "pending", "late", "retrying", "delivered", "parked", "last delivered", "next attempt")
    table = [header] + [
        (
            r["recipient"],
            str(r["pending"]),
            str(r["late"]),
            str(r["retrying"]),
            str(r["delivered"]),
            str(r["parked"]),
            store.iso(r["last_delivered_at"]) or "-",
            store.iso(r["next_attempt_at"]) or "-",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not rows:
        print("(no notification imported yet)")
    for item in parked:
        print(
            f"parked {item['ticket']} to {item['recipient']} (right {item['right_id']} #{item['sequence']}, "
            f"{item['attempts']} attempts): {item['last_outcome']} {item['last_error'] or ''}".rstrip()
        )
    return 0

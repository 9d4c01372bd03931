"""``lww refresh [--as-of YYYY-MM-DD] [--allow-earlier] [--full-refresh] [--accept-final-moves --reason …]``:
the whole pipeline once, in process."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import signal

from kernel.calendar import parse_date, today_brussels
from kernel.errors import LwwError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("refresh", help="ingest what is new, dbt build + tests, checks, publish a snapshot")
    parser.add_argument("--as-of", default=None, help="reference date R, YYYY-MM-DD (default: today, Brussels)")
    parser.add_argument(
        "--allow-earlier",
        action="store_true",
        help="publish even if R is earlier than the R of the snapshot being served",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from the raw tables (dbt build --full-refresh) instead of what changed",
    )
    parser.add_argument(
        "--accept-final-moves",
        action="store_true",
        help="publish even if months that were FINAL moved beyond LWW_MAX_FINAL_MOVE_PCT; needs --reason, "
        "recorded with the snapshot",
    )
    parser.add_argument("--reason", default=None, help="why the moves are accepted (with --accept-final-moves)")
    parser.add_argument("--by", default=None, help="who decides (with --accept-final-moves; default: the OS user)")
    parser.set_defaults(handler=run)


def _terminate_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM ends the run like Ctrl-C: its children stopped, the lock released


def run(args: argparse.Namespace) -> int:
    try:
        reference_date = parse_date(args.as_of) if args.as_of else today_brussels()
    except ValueError as error:
        raise LwwError(f"--as-of: {error}") from None
    from dagster_project.checks import FinalMovesAccepted

    accepted = None
    if args.accept_final_moves:
        reason = " ".join((args.reason or "").split())
        if not reason:
            raise LwwError('--accept-final-moves needs --reason "…": why the moves of FINAL months are right')
        by = " ".join((args.by or getpass.getuser()).split())
        accepted = FinalMovesAccepted(by, reason, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    elif args.reason or args.by:
        raise LwwError("--reason and --by go with --accept-final-moves")
    from rich.console import Console

    from dagster_project.runner import run_refresh

    console = Console(stderr=True)
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        with console.status(f"refreshing for R={reference_date} (ingest, dbt build, checks, publish)…"):
            outcome = run_refresh(
                args.settings,
                reference_date,
                allow_earlier=args.allow_earlier,
                full_refresh=args.full_refresh,
                accept_final_moves=accepted,
                log_level="CRITICAL",  # each failure is summed up below; the whole log is the run's, in the UI
            )
    finally:
        signal.signal(signal.SIGTERM, previous)
    for failure in outcome.failures[1:]:
        console.print(f"[red]✗[/red] {failure}", highlight=False, soft_wrap=True)
    if not outcome.success:
        raise LwwError(
            f"{outcome.reason} (R={reference_date}, run {outcome.run_id}, {outcome.seconds:.0f} s; nothing was "
            "published, the previous snapshot is still served)"
        )
    snap = outcome.published
    print(
        f"refresh R={reference_date}: {outcome.materialized} assets materialised, published "
        f"{snap.refresh_id if snap else 'nothing'} in {outcome.seconds:.1f} s"
    )
    if snap and snap.manifest.get("final_moves_accepted"):
        record = snap.manifest["final_moves_accepted"]
        months = ", ".join(m["month"][:7] for m in record["months"])
        print(f"FINAL months moved beyond the threshold ({months}): published as accepted by {record['by']}")
    return 0

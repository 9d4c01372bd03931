"""``lww refresh [--as-of YYYY-MM-DD] [--allow-earlier]``: the whole pipeline once, in process."""

from __future__ import annotations

import argparse

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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        reference_date = parse_date(args.as_of) if args.as_of else today_brussels()
    except ValueError as error:
        raise LwwError(f"--as-of: {error}") from None
    from rich.console import Console

    from dagster_project.runner import run_refresh

    console = Console(stderr=True)
    with console.status(f"refreshing for R={reference_date} (ingest, dbt build, checks, publish)…"):
        outcome = run_refresh(args.settings, reference_date, allow_earlier=args.allow_earlier)
    for failure in outcome.failures:
        console.print(f"[red]✗[/red] {failure}")
    if not outcome.success:
        raise LwwError(
            f"refresh for R={reference_date} failed after {outcome.seconds:.0f} s (run {outcome.run_id}); "
            "nothing was published, the previous snapshot is still served"
        )
    snap = outcome.published
    print(
        f"refresh R={reference_date}: {outcome.materialized} assets materialised, published "
        f"{snap.refresh_id if snap else 'nothing'} in {outcome.seconds:.1f} s"
    )
    return 0

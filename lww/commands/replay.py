"""``lww replay NAME``: load a quarantined upstream file once it has been fixed in place."""

import argparse

from kernel.errors import LwwError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("replay", help="re-validate and load a quarantined file once fixed (in quarantine/)")
    parser.add_argument(
        "name",
        help="the file's name in $LWW_HOME/quarantine/ (only files there are replayed), e.g. PAY-2026-03-001.xml",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import ingest
    from dagster_project.resources import Warehouse

    warehouse = Warehouse(home=str(args.settings.home))
    with warehouse.writer() as connection:
        outcome = ingest.replay(connection, args.settings, args.name)
    if outcome.status == "quarantined":
        raise LwwError(f"{args.name} is still refused: {outcome.reason} (see {outcome.destination}.reason.txt)")
    print(f"{args.name}: {outcome.status} ({outcome.rows} rows); the next refresh publishes it (or run lww refresh)")
    return 0

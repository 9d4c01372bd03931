"""``lww simulate``: write a realistic synthetic upstream (CONTRACT §1) into the inbox and reference folders,
or with ``--raw-to`` straight into a warehouse's raw tables (for benchmarks)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kernel.errors import LwwError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="write a synthetic upstream (payments, rights, reference data)",
        description="Write realistic synthetic upstream files into $LWW_HOME/inbox/ and reference CSVs into "
        "$LWW_HOME/reference/; deterministic for a seed. --from/--to are the months of the upstream files "
        "(acceptance / registration months).",
    )
    parser.add_argument("--pcsa", type=int, help="number of CPAS (default 12; 565 with --scale belgium)")
    parser.add_argument("--people", type=int, help="beneficiaries a month (default ~400; ~170000 for belgium)")
    parser.add_argument("--from", dest="first", metavar="YYYY-MM", help="first file month (default: --to - 24)")
    parser.add_argument("--to", dest="last", metavar="YYYY-MM", help="last file month (default: last month)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--scale", choices=("demo", "belgium"), default="demo", help="size preset")
    parser.add_argument("--raw-to", dest="raw_to", metavar="DB", help="write raw tables of this DuckDB file, no XML")
    parser.set_defaults(handler=handle)


def _parse_month(option: str, text: str | None):
    if text is None:
        return None
    from kernel.calendar import parse_month

    try:
        return parse_month(text)
    except ValueError as error:
        raise LwwError(f"{option} {error}") from None


def handle(args: argparse.Namespace) -> int:
    from simulator.config import SimulationConfig
    from simulator.run import simulate, write_raw

    config = SimulationConfig(
        seed=args.seed,
        pcsa=args.pcsa,
        people=args.people,
        first_month=_parse_month("--from", args.first),
        last_month=_parse_month("--to", args.last),
        scale=args.scale,
    )
    config.resolve()  # refuse bad input before anything is written
    settings = args.settings.ensure()
    if args.raw_to:
        summary = write_raw(config, Path(args.raw_to), reference_folder=settings.reference, progress=True)
        where = f"raw tables of {Path(args.raw_to).resolve()}, reference in {settings.reference}"
    else:
        summary = simulate(config, settings, progress=True)
        where = f"{settings.inbox} and {settings.reference}"
    for line in summary.credentials:
        print(line)
    print(f"{summary.line()} -> {where}")
    return 0

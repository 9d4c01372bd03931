"""``lww extract finances --year YYYY [--provisional]`` / ``lww extract ssh --month YYYY-MM``: the periodic
extracts (CONTRACT §7), from the current published snapshot, written under ``$LWW_HOME/extracts/``."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "extract",
        help="write a periodic extract: finances --year YYYY [--provisional] | ssh --month YYYY-MM",
        description="The yearly SPF Finances extract (finances --year) or the monthly harmonised social statuses "
        "(ssh --month), from the current published snapshot, released under $LWW_HOME/extracts/out/<cbe>/ once "
        "its control block equals the marts'.",
    )
    # the extract is a plain positional checked by the handler, so every mistake is one line (not argparse's usage)
    parser.add_argument("kind", nargs="?", default=None, metavar="finances|ssh")
    parser.add_argument("--year", default=None, help="finances: the tax year, YYYY")
    parser.add_argument("--month", default=None, help="ssh: the month, YYYY-MM")
    parser.add_argument(
        "--provisional",
        action="store_true",
        help="finances: extract a year before all its months are FINAL (the file says provisional)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kernel.errors import LwwError
    from service.extracts import delivery

    if args.kind is None:
        raise LwwError("name the extract: finances --year YYYY [--provisional], or ssh --month YYYY-MM")
    delivery.kind_module(args.kind)
    period, other = (args.year, "--month") if args.kind == "finances" else (args.month, "--year")
    if (args.month if args.kind == "finances" else args.year) is not None:
        raise LwwError(f"{other} does not go with the {args.kind} extract")
    if period is None:
        needed = "--year YYYY" if args.kind == "finances" else "--month YYYY-MM"
        raise LwwError(f"the {args.kind} extract needs {needed}")
    released, comparison = delivery.produce(args.settings, args.kind, period, provisional=args.provisional)
    entry = released.entry
    control = comparison.in_marts
    totals = ", ".join(f"{k} {v:.2f}" for k, v in sorted(control.totals.items())) or "no amounts"
    provisional = " (provisional)" if entry.get("provisional") else ""
    print(
        f"{released.path}{provisional}: {control.record_count} records, {control.distinct_ssin_count} people, "
        f"{totals}; for {entry['recipient_name']} ({entry['recipient_cbe']}), snapshot {entry['snapshot_id']}"
    )
    return 0

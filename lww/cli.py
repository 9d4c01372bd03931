"""``lww``: the command line of the living-wages warehouse (CONTRACT §1).

Each command lives in ``lww/commands/<name>.py`` with ``register(subparsers)``; a command's handler imports its
part lazily, so ``lww simulate`` does not pay for Dagster or dbt. Bad input ends with a one-line error on stderr
and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kernel import permissions
from kernel.errors import LwwError
from kernel.settings import settings

# In the order of CONTRACT §1 (replay added: operators load a fixed quarantined file with it). Only the commands
# that are built, each with its module.
COMMANDS = (
    "simulate",
    "refresh",
    "replay",
    "serve",
    "dashboards",
    "ui",
    "batch",
    "notify",
    "subscriber",
    "extract",
    "rollback",
    "demo",
)
# The commands that make a home (or need none). Every other one only reads a home: it refuses one that does not
# exist, instead of making an empty one and serving nothing from it.
MAKE_HOME = ("simulate", "refresh", "demo", "subscriber")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lww", description="The living-wages amounts warehouse.")
    parser.add_argument("--home", help="working folder (default: $LWW_HOME, else data/ under the project)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"lww.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    permissions.restrict()  # everything written under LWW_HOME: not for other local users (kernel.permissions)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.settings = settings(args.home)
    if args.command not in MAKE_HOME and not args.settings.home.is_dir():
        print(
            f"lww {args.command}: the home {args.settings.home} (--home, else LWW_HOME) does not exist; run "
            "lww demo, or lww simulate then lww refresh, to make it first",
            file=sys.stderr,
        )
        return 2
    try:
        return int(args.handler(args) or 0)
    except LwwError as error:
        print(f"lww {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"lww {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""``lww rollback [REFRESH_ID]``: serve a previous published snapshot again."""

from __future__ import annotations

import argparse

from kernel import snapshots
from kernel.errors import LwwError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rollback", help="serve a previous snapshot again (default: the one before CURRENT)")
    parser.add_argument("refresh_id", nargs="?", default=None)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    published = args.settings.published
    current = snapshots.current_id(published)
    target = args.refresh_id or snapshots.previous_id(published)
    if target is None:
        raise LwwError(f"no snapshot before {current or 'the current one'} in {published}: nothing to roll back to")
    if target not in snapshots.list_ids(published):
        known = ", ".join(snapshots.list_ids(published)) or "none"
        raise LwwError(f"no snapshot {target} in {published} (known: {known})")
    snapshots.switch_current(published, target, reason=f"rollback from {current}")
    snap = snapshots.load(published, target)
    print(f"now serving {target} (R={snap.reference_date}); was {current}")
    return 0

"""``lww batch REQUESTS.xml RESPONSES.xml --institution CBE`` / ``lww batch --watch``: batch consultation
(CONTRACT section 5). A refused file exits 2 with one line naming the reason (and ``MSG00014`` when the file
names another institution than its sender); the drop folder gets ``<name>.reason.txt`` instead."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kernel.errors import LwwError

POLL_SECONDS = 5


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="answer a batch consultation file (or, with --watch, the drop folder $LWW_HOME/batch/in/<cbe>/)",
    )
    parser.add_argument("requests", nargs="?", help="the consultationBatch file")
    parser.add_argument("responses", nargs="?", help="where its consultationBatchResult goes (and its GO file)")
    parser.add_argument("--institution", help="the sender's CBE number (with --watch, each drop folder's name says it)")
    parser.add_argument("--watch", action="store_true", help="answer the files dropped in $LWW_HOME/batch/in/<cbe>/")
    parser.add_argument("--once", action="store_true", help="with --watch: answer what is there now, then exit")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from service.channels import batch

    settings = args.settings
    if args.watch:
        if args.requests or args.responses or args.institution:
            raise LwwError("--watch takes no file and no --institution: the drop folder names the sender")
        return _watch(settings, batch, once=args.once)
    if not (args.requests and args.responses and args.institution):
        raise LwwError("expected REQUESTS.xml RESPONSES.xml --institution CBE (or --watch)")
    outcome = batch.answer_file(settings, Path(args.requests), Path(args.responses), args.institution)
    s = outcome.synthesis
    said = "already answered: the stored result again" if outcome.kind == "duplicate" else "answered"
    print(
        f"batch {outcome.batch_id}: {said}, {outcome.requests} requests (data found {s['dataFound']}, no data "
        f"{s['noDataFound']}, no result {s['noResult']}) from snapshot {outcome.snapshot_id} -> {outcome.output} "
        f"({outcome.go.name})"
    )
    return 0


def _watch(settings, batch, *, once: bool) -> int:
    folder = batch.inbox(settings)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"watching {folder}/<cbe>/ (results in {batch.batch_home(settings) / 'out'}/<cbe>/)", flush=True)
    while True:
        waiting = 0
        for sender, path in batch.pending_files(settings):
            try:
                outcome = batch.handle_dropped(settings, sender, path)
            except LwwError as error:  # cannot be answered now (no snapshot yet, audit log): tried again later
                print(f"{path.name}: not answered now: {error}", flush=True)
                waiting += 1
                continue
            if outcome is None:
                print(f"{path.name}: refused, see {batch.reason_path(path).name}", flush=True)
            else:
                print(f"{path.name}: {outcome.kind}, {outcome.requests} requests -> {outcome.output}", flush=True)
        if once:
            return 1 if waiting else 0
        time.sleep(POLL_SECONDS)

"""``lww refresh [--as-of YYYY-MM-DD] [--allow-earlier] [--full-refresh] [--accept-final-moves --reason …]
[--no-publish] [--verbose]``: the whole pipeline once, in process (``--no-publish``: all but the publication).

On a terminal it shows one live line (phase, files, dbt models n of N, checks) on stderr; elsewhere, or with
``--verbose``, a plain line as each phase begins. It ends with a summary on stdout: files loaded and quarantined
(each with its reason and the ``lww replay`` hint), rows added, models built, checks passed, failed and warned,
and what was published, or why nothing was. dbt's and Dagster's own lines show only with ``--verbose``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import os
import signal
import sys
import warnings
from typing import TextIO

from kernel.calendar import amounts_date, parse_date, today_brussels
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
    parser.add_argument(
        "--no-publish",
        action="store_true",
        help="ingest, dbt build and checks only: no snapshot is published, CURRENT is left as it is",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show dbt's and Dagster's own lines as the run goes"
    )
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
    if args.no_publish and args.accept_final_moves:
        raise LwwError("--accept-final-moves decides a publication: it does not go with --no-publish")
    from dagster_project import engines

    engines.current().check()  # LWW_ENGINE names a known engine, and what it needs is here
    quiet_warnings(args.verbose)
    from rich.console import Console

    from dagster_project.runner import run_refresh

    terminal = own_stderr()
    console = Console(file=terminal, highlight=False)
    live = console.is_terminal and not args.verbose
    shown = [""]

    def progress(tally) -> None:
        if live:
            status.update(tally.status())
        elif tally.phase != shown[0]:  # a plain line as each phase begins
            shown[0] = tally.phase
            print(tally.status(), file=terminal, flush=True)

    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        with contextlib.ExitStack() as stack:
            opening = f"refresh R={reference_date}: loading the pipeline"
            status = stack.enter_context(console.status(opening)) if live else None
            if not args.verbose:  # dagster-dbt writes every line of dbt to stdout
                stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(os.devnull, "w"))))
            outcome = run_refresh(
                args.settings,
                reference_date,
                allow_earlier=args.allow_earlier,
                full_refresh=args.full_refresh,
                accept_final_moves=accepted,
                # each failure is summed up below; the whole log is the run's, in the UI
                log_level="DEBUG" if args.verbose else "CRITICAL",
                on_progress=progress,
                publish=not args.no_publish,
            )
    finally:
        signal.signal(signal.SIGTERM, previous)
        if terminal is not sys.stderr:
            terminal.close()
    print("\n".join(summary(outcome, publish=not args.no_publish)), flush=True)
    for failure in outcome.failures[1:]:
        Console(stderr=True, highlight=False).print(f"[red]✗[/red] {failure}", soft_wrap=True)
    if not outcome.success:
        raise LwwError(
            f"{outcome.reason} (R={reference_date}, run {outcome.run_id}, {outcome.seconds:.0f} s; nothing was "
            "published, the previous snapshot is still served)"
        )
    snap = outcome.published
    if snap and snap.manifest.get("final_moves_accepted"):
        record = snap.manifest["final_moves_accepted"]
        months = ", ".join(m["month"][:7] for m in record["months"])
        print(f"FINAL months moved beyond the threshold ({months}): published as accepted by {record['by']}")
    return 0


def own_stderr() -> TextIO:
    """stderr for the progress, on a descriptor of its own: while a step runs, Dagster points descriptors 1 and 2
    at the step's log files (mirrored back by a ``tail -F`` that may lag or lose the last lines)."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8", errors="replace")
    except (AttributeError, OSError, ValueError):  # no descriptor (stderr replaced in process)
        return sys.stderr


def quiet_warnings(verbose: bool) -> None:
    """Dagster's beta/preview/supersession notices are about its API, not the operator's run: never shown.
    Other Python warnings show with ``--verbose`` only."""
    import dagster as dg

    if not verbose:
        warnings.simplefilter("ignore")
    for category in (dg.BetaWarning, dg.PreviewWarning, dg.SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)


def summary(outcome, *, publish: bool = True) -> list[str]:
    """What the run did, a few plain lines."""
    tally = outcome.tally
    if tally.files_loaded is None:
        lines = ["files: none ingested (the run stopped before)"]
    else:
        skipped = f", {tally.files_skipped} skipped (already loaded)" if tally.files_skipped else ""
        lines = [f"files: {tally.files_loaded} loaded, {len(tally.quarantined)} quarantined{skipped}"]
    lines += [f"  quarantined {q.name}: {q.reason} ({q.hint})" for q in tally.quarantined]
    lines.append(f"rows added: {tally.rows_line()}")
    from dagster_project import engines

    engine = engines.name_of(engines.current())
    lines.append(
        f"dbt: {tally.models_done} of {tally.models_total} models built"
        + (f" on {engine}" if engine != "duckdb" else "")
    )
    lines.append(tally.checks_line())
    snap, r = outcome.published, outcome.reference_date
    if snap is not None:
        lines.append(
            f"published {snap.refresh_id}: R={snap.reference_date}, A(R)={amounts_date(snap.reference_date)} "
            f"({outcome.seconds:.1f} s)"
        )
    elif outcome.success and not publish:
        lines.append(
            f"published nothing for R={r} (--no-publish): built and checked, CURRENT left as it was "
            f"({outcome.seconds:.1f} s)"
        )
    elif outcome.success:
        lines.append(f"published nothing for R={r}: the snapshot served is unchanged ({outcome.seconds:.1f} s)")
    else:
        lines.append(f"published nothing for R={r}: {outcome.reason}")
    return lines

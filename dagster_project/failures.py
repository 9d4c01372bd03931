"""Why a refresh failed, in one line: the step (ingest, dbt, checks, publish) and the cause.

A step's error reaches the operator through Dagster's events, wrapped (step execution error, retries exceeded)
and with its stack. Steps raise :func:`step_errors`' ``Failure`` for what will fail again whatever the number
of tries (bad input, a file system that refuses, SQL errors, a busy warehouse): not retried, with its cause as
the description. The runner reads the events back into :class:`StepFailure` s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
import duckdb

from kernel.errors import LwwError

MAX_CAUSE = 500

# The pipeline's steps, by Dagster step key (asset checks are named after their asset and check).
STEPS = {
    "reference_data": "ingest",
    "raw__reference": "ingest",  # the ops of keyed assets are named after their key
    "upstream_files": "ingest",
    "audit_log": "ingest",
    "raw__audit_log": "ingest",
    "warehouse_models": "dbt",
    "published__snapshot": "publish",
}
# Dagster's own wrappers: the cause is what they wrap.
WRAPPERS = {
    "DagsterExecutionStepExecutionError",
    "DagsterMaxRetriesExceededError",
    "DagsterUserCodeExecutionError",
    "DagsterExecutionInterruptedError",
    "RetryRequestedFromPolicy",  # what a step failing for the last time under its retry policy reports
}
_DUCKDB_LOCK = re.compile(
    r"Could not set lock on file \"(?P<file>[^\"]+)\": "
    r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)"
)


@dataclass(frozen=True)
class StepFailure:
    step: str  # ingest, dbt, checks, publish
    cause: str  # one line

    def __str__(self) -> str:
        return f"refresh failed at {self.step}: {self.cause}"


def step_of(step_key: str) -> str:
    return STEPS.get(step_key, "checks")


def one_line(text: str, limit: int = MAX_CAUSE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def duckdb_busy(error: BaseException | str) -> str | None:
    """DuckDB's lock conflict in words naming the holder, or None for another error."""
    found = _DUCKDB_LOCK.search(str(error))
    if not found:
        return None
    return (
        f"the warehouse is busy: {found['file']} is open in another process (pid {found['pid']}, "
        f"{found['program']}); stop it or wait for it, then refresh again"
    )


def cause_of(error: BaseException) -> str:
    """One line for an exception raised in a step."""
    if isinstance(error, LwwError):
        return one_line(str(error))
    busy = duckdb_busy(error)
    if busy:
        return busy
    if isinstance(error, OSError) and error.filename is not None:
        return one_line(f"{error.filename}: {error.strerror or error}")
    if isinstance(error, duckdb.Error):
        return one_line(str(error))  # DuckDB's messages name their kind ("IO Error: …", "Parser Error: …")
    return one_line(f"{type(error).__name__}: {error}")


@contextmanager
def step_errors() -> Iterator[None]:
    """Fail the step at once, with its cause, on an error that another try would meet again; anything else
    propagates (the step's retry policy applies, and the runner still reports the cause)."""
    try:
        yield
    except dg.Failure:
        raise
    except (LwwError, OSError, duckdb.Error) as error:
        raise dg.Failure(description=cause_of(error), allow_retries=False) from error


def cause_from_event(error_info, description: str | None = None) -> str:
    """The cause of a failed step from its event: a ``Failure``'s description, else the innermost error that
    Dagster wrapped (``Exceeded max_retries`` says nothing by itself)."""
    if description:
        return one_line(description)
    if error_info is None:
        return "failed"
    innermost = error_info
    while innermost.cls_name in WRAPPERS and (innermost.cause or innermost.context):
        innermost = innermost.cause or innermost.context
    if innermost.cls_name == "DagsterExecutionInterruptedError":
        return "interrupted"
    message = innermost.message.strip()
    busy = duckdb_busy(message)
    if busy:
        return busy
    if innermost.cls_name in {"LwwError", "Failure"}:
        message = message.split(": ", 1)[-1]
    else:
        message = re.sub(r"^[\w.]*\.(\w+): ", r"\1: ", message)  # "_duckdb.IOException: …" -> "IOException: …"
    return one_line(message)

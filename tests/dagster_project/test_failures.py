"""A failed step's cause in one line, read from under Dagster's wrappers (and retries)."""

from __future__ import annotations

import duckdb
import pytest
from dagster_shared.error import SerializableErrorInfo
from hypothesis import given
from hypothesis import strategies as st

from dagster_project.failures import cause_from_event, cause_of, duckdb_busy, one_line, step_errors, step_of
from kernel.errors import LwwError


def _error(cls_name: str, message: str, cause: SerializableErrorInfo | None = None) -> SerializableErrorInfo:
    return SerializableErrorInfo(message=message, stack=["  File x, line 1\n"], cls_name=cls_name, cause=cause)


def test_the_cause_under_retries_exceeded_is_the_one_reported():
    inner = _error("IOException", '_duckdb.IOException: IO Error: Cannot open file "/h/published/x.tmp": denied\n')
    wrapped = _error("DagsterMaxRetriesExceededError", "Exceeded max_retries of 2\n", cause=inner)
    assert cause_from_event(wrapped) == 'IOException: IO Error: Cannot open file "/h/published/x.tmp": denied'
    # what Dagster 1.13 reports when a step fails for the last time under its retry policy
    last_try = _error("RetryRequestedFromPolicy", "Exceeded max_retries of 2\n", cause=inner)
    assert cause_from_event(last_try).startswith("IOException: IO Error: Cannot open file")
    step = _error("DagsterExecutionStepExecutionError", 'Error occurred while executing op "x":\n', cause=inner)
    assert cause_from_event(step).startswith("IOException: IO Error")
    assert cause_from_event(wrapped, description="cannot write /h/published: denied") == (
        "cannot write /h/published: denied"
    )
    interrupted = _error("DagsterExecutionInterruptedError", "dagster._core.errors.DagsterExecutionInterruptedError\n")
    assert cause_from_event(interrupted) == "interrupted"


def test_steps_are_named_as_the_operator_knows_them():
    assert [step_of(k) for k in ("upstream_files", "warehouse_models", "published__snapshot")] == [
        "ingest",
        "dbt",
        "publish",
    ]
    assert step_of("marts__fct_monthly_amounts_final_months_stable") == "checks"


@given(st.text())
def test_a_cause_is_always_one_bounded_line(text):
    line = one_line(text)
    assert "\n" not in line and "\r" not in line and len(line) <= 500


def test_duckdbs_lock_conflict_names_its_holder():
    message = (
        'IO Error: Could not set lock on file "/h/warehouse/warehouse.duckdb": Conflicting lock is held in '
        "/usr/bin/python3.11 (PID 4242) by user root. See also https://duckdb.org/docs/stable/connect/concurrency"
    )
    busy = duckdb_busy(message)
    assert busy.startswith("the warehouse is busy: /h/warehouse/warehouse.duckdb is open in another process")
    assert "(pid 4242, /usr/bin/python3.11)" in busy
    assert duckdb_busy("IO Error: Cannot open file") is None


@pytest.mark.parametrize(
    "error",
    [LwwError("bad file"), PermissionError(13, "Permission denied", "/h/published"), duckdb.ParserException("x")],
)
def test_errors_another_try_would_meet_again_fail_at_once_with_their_cause(error):
    import dagster as dg

    with pytest.raises(dg.Failure) as failure, step_errors():
        raise error
    assert failure.value.allow_retries is False
    assert failure.value.description == cause_of(error)


def test_other_errors_are_left_to_the_retry_policy():
    with pytest.raises(RuntimeError), step_errors():
        raise RuntimeError("something transient")


def test_dbts_errors_are_told_by_their_first_words_not_their_tracebacks():
    from dagster_dbt.errors import DagsterDbtCliRuntimeError

    from dagster_project.assets.dbt import dbt_errors

    error = DagsterDbtCliRuntimeError(
        description="The dbt CLI process with command\n\n`dbt build`\n\nfailed with exit code `2`. Check the stdout "
        "in the Dagster compute logs.\n\nErrors parsed from dbt logs:\n\n"
        "Encountered an error:\nParser Error: Memory must have a number (e.g. 1GB)\n"
        'Traceback (most recent call last):\n  File "x.py", line 1, in f\n    yield\n\n'
        "During handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n"
        '  File "y.py", line 2\n\n'
        "Failure in test not_null_fct_x_amount (models/marts/_marts.yml)\n  Got 3 results, configured to fail if != 0"
    )
    assert dbt_errors(error) == (
        "Encountered an error: Parser Error: Memory must have a number (e.g. 1GB); "
        "Failure in test not_null_fct_x_amount (models/marts/_marts.yml) Got 3 results, configured to fail if != 0"
    )

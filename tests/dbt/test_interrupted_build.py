"""Property: a build that did not complete never leaves a wrong state behind. A completed build at R 2026-08-01,
then the files of five months arrive and the build at R 2027-01-02 is interrupted after one model (a data test of
that model fails, or the dbt process is killed once the model's table is written); the next build at the same R
must hold exactly what a full build of the same data holds, table for table, row for row, and move the
last-indemnified months from where the last completed build left them (what publication applies to the snapshot
published from it). The interrupted models are those whose table a later build reads as its previous state (the
chains, the last indemnified months, the flags repaired in the monthly marts, the history, the record of the due
notifications) and one of the rights; after each, the due notifications are those of the uninterrupted build, none
lost, none due twice.
The next build may also come for a later R (with the files that arrived since: it recovers incrementally) or an
earlier one (it rebuilds in full)."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from kernel.settings import DBT_PROJECT_DIR
from tests.dbt.test_incremental_refresh import (
    COMPARED,
    _arrived,
    _files,
    _moving_last_months,
    _person_lines,
    _rights,
)
from tests.dbt.test_oracle_property import _dataset
from tests.dbt.warehouse import create_warehouse, dbt_args, dbt_env, query, run_dbt

R_BEFORE = "2026-08-01"
R = "2027-01-02"
R_LATER = "2027-02-06"
R_EARLIER = "2026-10-03"
INTERRUPTED_AFTER = (
    "int_payment_lines_chained",  # the previous chains of int_refresh_lines
    "int_last_indemnified_months_found",  # its own previous months
    "fct_monthly_amounts",  # the flags repaired in place
    "fct_monthly_amounts_by_partner",
    "int_rights_folded",
    "fct_amount_history",  # the latest R it recorded
    "int_right_event_recipients",  # the right events it saw and the notifications they were due
)
MOVES = "SELECT * FROM intermediate.int_last_indemnified_moves ORDER BY ALL"
# the history written since the completed build (a full build has no older R)
HISTORY = f"SELECT * FROM marts.fct_amount_history WHERE reference_date > '{R_BEFORE}' ORDER BY ALL"
COMPLETED = f"SELECT count(*) FROM intermediate.refresh_state WHERE reference_date = '{R}'"
PLAN = "SELECT is_full, reason FROM intermediate.int_refresh_plan"
KEYS = {"payment_lines": "line_id", "right_events": "event_id", "loaded_files": "file_id"}
# the due notifications are not a full build's (which notifies nothing of its history) but the uninterrupted one's
NOTIFIED = "SELECT * FROM intermediate.int_right_event_recipients ORDER BY ALL"
NOTIFIER = "0400000101"


def _notifier(people: int) -> dict[str, list[dict]]:
    """An institution authorised for notifications, subscribed, following every person of _rights."""
    since = dt.date(2020, 1, 1)
    return {
        "ref_authorizations": [
            {
                "cbe_number": NOTIFIER,
                "operation": "LivingWagesNotifications:*",
                "legal_context": "N",
                "valid_from": since,
            }
        ],
        "ref_subscriptions": [
            {"cbe_number": NOTIFIER, "with_attestation": True, "endpoint_url": "http://127.0.0.1:1/"}
        ],
        "ref_integrations": [
            {"cbe_number": NOTIFIER, "ssin": f"9{number:05d}00001", "quality_code": "001", "begin_date": since}
            for number in range(0, people, 2)
        ],
    }


def _contents(warehouse: Path) -> dict[str, list[tuple]]:
    tables = {name: sorted(query(warehouse, f"SELECT * FROM {name}"), key=repr) for name in COMPARED}
    return {**tables, "history": query(warehouse, HISTORY)}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The dbt project with one always failing data test per interrupted model (tag interrupt), the warehouse of
    the completed build at R_BEFORE with the new files loaded, and what the build at R must leave."""
    root = tmp_path_factory.mktemp("interrupted")
    project = root / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    for model in INTERRUPTED_AFTER:
        (project / "tests" / f"interrupt_after_{model}.sql").write_text(
            f"{{{{ config(tags=['interrupt']) }}}}\n-- depends_on: {{{{ ref('{model}') }}}}\nselect 1 as interrupted\n"
        )
    rng = random.Random(20261206)
    lines = _dataset([_person_lines(rng) for _ in range(60)]) + _moving_last_months()
    lines_files, events = _files(lines, rng), _rights(60, rng)

    def arrived(day: str) -> dict[str, list[dict]]:
        return _arrived(lines_files, events, dt.date.fromisoformat(day))

    before, after = arrived(R_BEFORE), arrived(R)
    base = root / "base.duckdb"
    create_warehouse(base, {**before, **_notifier(60)})
    run_dbt(base, root, R_BEFORE, "run", project=project)
    _load_since(base, before, after)
    # the moves of an uninterrupted incremental build: from the completed build's months to the new ones
    straight = root / "straight.duckdb"
    shutil.copyfile(base, straight)
    run_dbt(straight, root, R, "run", project=project)
    full = root / "full.duckdb"
    create_warehouse(full, {**after, **_notifier(60)})
    run_dbt(full, root, R, "run", project=project)
    moves = query(straight, MOVES)
    notified = query(straight, NOTIFIED)
    assert [row for row in notified if row[13] == dt.date.fromisoformat(R) and row[15] == NOTIFIER], "nothing due"
    assert {move[0] for move in moves} >= {"80000000001", "80000000002", "80000000008", "80000000009"}, moves
    return {
        "project": project,
        "base": base,
        "expected": _contents(full),
        "moves": moves,
        "notified": notified,
        "arrived": arrived,
    }


def _load_since(warehouse: Path, loaded: dict[str, list[dict]], arrived: dict[str, list[dict]]) -> None:
    """Load into ``warehouse`` the rows of ``arrived`` that ``loaded`` does not hold (files only ever arrive)."""
    seen = {name: {row[KEYS[name]] for row in rows} for name, rows in loaded.items()}
    create_warehouse(
        warehouse, {name: [r for r in rows if r[KEYS[name]] not in seen[name]] for name, rows in arrived.items()}
    )


def _interrupt_with_failing_test(warehouse: Path, work: Path, project: Path, model: str) -> None:
    """dbt build at R where the data test of ``model`` fails: its descendants are skipped, the rest is built."""
    others = [f"interrupt_after_{name}" for name in INTERRUPTED_AFTER if name != model]
    args = [*dbt_args(work, "build", project), "--exclude", *others]
    done = subprocess.run(args, env=dbt_env(warehouse, R), capture_output=True, text=True, cwd=work, check=False)
    assert done.returncode == 1, done.stdout[-4000:]
    assert f"FAIL 1 interrupt_after_{model}" in done.stdout, done.stdout[-4000:]


def _interrupt_with_kill(warehouse: Path, work: Path, project: Path, model: str) -> None:
    """dbt run at R, killed (SIGKILL) as soon as it reports the table of ``model`` written."""
    env = {**dbt_env(warehouse, R), "PYTHONUNBUFFERED": "1"}
    args = dbt_args(work, "run", project)
    with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True, cwd=work) as process:
        assert process.stdout is not None
        output = []
        for line in process.stdout:
            output.append(line)
            if "OK created" in line and f".{model} " in line:
                os.kill(process.pid, signal.SIGKILL)
                break
        process.wait()
    assert process.returncode == -signal.SIGKILL, "".join(output)[-4000:]


@pytest.mark.parametrize("model", INTERRUPTED_AFTER)
@pytest.mark.parametrize("interrupt", ["failing_test", "kill"])
def test_a_build_after_an_interrupted_one_equals_a_full_build(
    scenario: dict, tmp_path: Path, interrupt: str, model: str
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(scenario["base"], warehouse)
    if interrupt == "failing_test":
        _interrupt_with_failing_test(warehouse, tmp_path, scenario["project"], model)
    else:
        _interrupt_with_kill(warehouse, tmp_path, scenario["project"], model)
    assert query(warehouse, COMPLETED) == [(0,)], "the interrupted build was recorded as completed"
    run_dbt(warehouse, tmp_path, R, "run", project=scenario["project"])
    # recovering costs an incremental build, not a full one
    assert query(warehouse, PLAN) == [(False, f"incremental since R {R_BEFORE}, after 1 build that did not complete")]
    actual = _contents(warehouse)
    for name, rows in scenario["expected"].items():
        assert actual[name] == rows, f"{name} differs from a full build after an interruption after {model}"
    # publication applies these to the snapshot of the last completed build
    assert query(warehouse, MOVES) == scenario["moves"]
    # no notification lost or due twice: what the uninterrupted build recorded
    assert query(warehouse, NOTIFIED) == scenario["notified"]


@pytest.mark.parametrize(
    ("next_r", "plan"),
    [
        (R_LATER, (False, f"incremental since R {R_BEFORE}, after 1 build that did not complete")),
        (R_EARLIER, (True, f"a build for R {R}, after this R, did not complete since the last completed one")),
    ],
)
def test_the_next_build_for_another_r_equals_a_full_build(
    scenario: dict, tmp_path: Path, next_r: str, plan: tuple
) -> None:
    """The build after an interrupted one comes a month later, with the files of that month, and recovers
    incrementally; or it comes for an earlier R (after the completed build's) and rebuilds in full: the
    interrupted build may have written rows for its later R outside the earlier R's scope."""
    project, arrived = scenario["project"], scenario["arrived"]
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(scenario["base"], warehouse)
    # every model written but the test of the last one failed: the history holds the interrupted build's R
    _interrupt_with_failing_test(warehouse, tmp_path, project, "fct_amount_history")
    data = arrived(max(R, next_r))
    _load_since(warehouse, arrived(R), data)
    run_dbt(warehouse, tmp_path, next_r, "run", project=project)
    assert query(warehouse, PLAN) == [plan]
    full = tmp_path / "full.duckdb"
    create_warehouse(full, {**data, **_notifier(60)})
    run_dbt(full, tmp_path, next_r, "run", project=project)
    expected, actual = _contents(full), _contents(warehouse)
    for name, rows in expected.items():
        assert actual[name] == rows, f"{name} differs from a full build at R {next_r} after an interrupted build at {R}"

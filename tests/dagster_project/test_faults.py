"""The operator's side of a refresh after a fault: a refresh killed during dbt leaves no dbt behind, a busy
warehouse and every failed step end with one line naming the step and the cause, paths with quotes work, and the
two explicit operator decisions (--full-refresh, --accept-final-moves) do what they say and are recorded."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.lock import exclusive
from dagster_project.runner import run_refresh
from kernel import snapshots
from kernel.settings import Settings, settings
from lww import cli
from tests.dagster_project.conftest import R1, R2, held_open, start_refresh, table_rows
from tests.ingest.ingest_builders import drop, payment, payments_xml


def _copy(template: Settings, target: Path) -> Settings:
    shutil.copytree(template.home, target)
    return settings(target).ensure()


def _lww(home: Settings, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``lww --home HOME ARGS`` in its own process; stderr kept."""
    return subprocess.run(
        [sys.executable, "-m", "lww.cli", "--home", str(home.home), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def dbt_processes(home: Settings) -> list[int]:
    """The live dbt processes working on this home's warehouse (told by their environment)."""
    marker = f"LWW_WAREHOUSE={home.warehouse}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environment and b"dbt" in command and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_refresh_killed_during_dbt_leaves_no_dbt_behind_and_the_next_one_succeeds(home, signum):
    process = start_refresh(home, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while not dbt_processes(home) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert dbt_processes(home), "dbt never started"
        time.sleep(1.0)  # dbt has opened the warehouse and is building
        os.kill(process.pid, signum)  # the lww process alone, not its process group
        _, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode != 0
    if signum != signal.SIGKILL:  # it had the time to say why it stopped, in one line
        assert _last_line(errors).startswith("lww refresh: refresh failed at dbt: interrupted"), errors
    deadline = time.monotonic() + 5
    while dbt_processes(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = dbt_processes(home)
    for pid in survivors:  # do not leave them to the next tests
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"dbt outlived the refresh killed with {signum.name}"

    outcome = run_refresh(home, R1)
    assert outcome.success, outcome.failures
    assert outcome.published is not None


def test_a_busy_warehouse_is_refused_at_once_in_one_line_naming_who_holds_it(home):
    # another run holds the writer's lock (here, this test's process)
    with exclusive(home.warehouse_lock):
        done = _lww(home, "refresh", "--as-of", R1.isoformat(), timeout=120)
    assert done.returncode == 2
    last = _last_line(done.stderr)
    assert last.startswith("lww refresh: the warehouse is busy: a run") and f"(pid {os.getpid()})" in last, last

    # another program has the DuckDB file open (a DuckDB shell, a bare dbt build)
    with held_open(home.warehouse) as holder:
        done = _lww(home, "refresh", "--as-of", R1.isoformat(), timeout=120)
    assert done.returncode == 2
    last = _last_line(done.stderr)
    assert "the warehouse is busy" in last and f"pid {holder.pid}" in last, done.stderr
    assert "max_retries" not in done.stderr


def test_a_home_whose_path_has_a_quote_and_a_space_refreshes_end_to_end(upstream_template, tmp_path):
    home = _copy(upstream_template, tmp_path / "it's a home")
    first = run_refresh(home, R1)  # ingest (spools beside the warehouse), dbt, checks, publish
    assert first.success, first.failures
    assert not list(home.payments_inbox.glob("*.xml"))
    second = run_refresh(home, R2)  # the checks compare with the snapshot served, attached by its path
    assert second.success, second.failures
    assert snapshots.current(home.published).reference_date == R2


@contextmanager
def read_only(folder: Path):
    """A folder no one may create files in: chmod does not stop root, the immutable attribute does."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_a_read_only_published_folder_fails_at_publish_with_its_reason_in_one_line(refreshed, capsys):
    before = snapshots.current_id(refreshed.published)
    started = time.monotonic()
    with read_only(refreshed.published):
        code = cli.main(["--home", str(refreshed.home), "refresh", "--as-of", R2.isoformat()])
    seconds = time.monotonic() - started
    errors = capsys.readouterr().err
    assert code == 2
    last = _last_line(errors)
    assert last.startswith(f"lww refresh: refresh failed at publish: cannot write {refreshed.published}: "), errors
    assert "nothing was published" in last
    assert "max_retries" not in errors  # the cause is not retried, and not hidden behind the retries
    assert snapshots.current_id(refreshed.published) == before
    run = dg.DagsterInstance.get().get_run_records(limit=1)[0].dagster_run
    retries = dg.DagsterInstance.get().get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert not retries.records, f"retried a refusal of the file system ({seconds:.0f} s)"


def test_full_refresh_rebuilds_everything_on_demand(refreshed, capsys):
    assert cli.main(["--home", str(refreshed.home), "refresh", "--as-of", R2.isoformat(), "--full-refresh"]) == 0
    plan = table_rows(refreshed.warehouse, "SELECT is_full, reason FROM intermediate.int_refresh_plan")
    assert plan == [(True, "--full-refresh")]
    snapshot = snapshots.current(refreshed.published)
    assert snapshot.reference_date == R2
    assert snapshot.manifest["delta_from"] is None  # a full build is published in full


def _final_month(home: Settings):
    current = snapshots.current(home.published)
    return table_rows(
        current.path,
        "SELECT month FROM monthly_amounts GROUP BY month HAVING bool_and(finality_status = 'FINAL') ORDER BY 1",
    )[0][0]


def test_a_late_revision_alone_publishes_and_is_recorded(refreshed):
    month = _final_month(refreshed)
    with duckdb.connect(str(refreshed.warehouse), read_only=True) as connection:
        line_id, pcsa, ssin, partner, allowance, household, begin, end, amount = connection.execute(
            """
            SELECT line_id, pcsa_cbe_number, ssin, partner_ssin, allowance_type, household_category, begin_date,
                   end_date, amount
            FROM raw.payment_lines
            WHERE decision = 'ACCEPTED' AND date_trunc('month', begin_date) = ?
              AND line_id NOT IN (SELECT replaces_line_id FROM raw.payment_lines WHERE replaces_line_id IS NOT NULL)
            ORDER BY line_id LIMIT 1
            """,
            [month],
        ).fetchone()
    # a correction of that FINAL month, accepted in March 2026 (7 months or more after it): a late revision
    correction = payment(
        "LATE-1",
        replacesLineId=line_id,
        pcsaCbeNumber=pcsa,
        ssin=ssin,
        partnerSsin=partner,
        allowanceType=allowance,
        householdCategory=str(household),
        beginDate=begin.isoformat(),
        endDate=end.isoformat(),
        amount=f"{amount + 20:.2f}",
        paymentDate="2026-03-10",
        acceptanceDate="2026-03-20",
    )
    drop(
        refreshed.payments_inbox,
        "PAY-2026-03-901.xml",
        payments_xml([correction], file_id="PAY-2026-03-901", created_at="2026-04-01T02:00:00Z"),
    )
    outcome = run_refresh(refreshed, R2)
    assert outcome.success, outcome.failures
    snapshot = outcome.published
    assert table_rows(snapshot.path, "SELECT line_id FROM dq_late_revisions WHERE line_id = 'LATE-1'") == [("LATE-1",)]
    assert "final_moves_accepted" not in snapshot.manifest


def test_a_big_move_of_a_final_month_blocks_and_an_accepted_one_publishes_with_its_record(refreshed, capsys):
    before = snapshots.current_id(refreshed.published)
    month = _final_month(refreshed)
    # a broken load: the lines of a month that was FINAL disappear from the warehouse
    with duckdb.connect(str(refreshed.warehouse)) as connection:
        connection.execute("DELETE FROM raw.payment_lines WHERE date_trunc('month', begin_date) = ?", [month])
    home = ["--home", str(refreshed.home)]

    assert cli.main([*home, "refresh", "--as-of", R2.isoformat()]) == 2
    last = _last_line(capsys.readouterr().err)
    assert last.startswith("lww refresh: refresh failed at checks: check final_months_stable"), last
    assert f"{month:%Y-%m}" in last and "--accept-final-moves" in last
    assert snapshots.current_id(refreshed.published) == before

    # the override needs a reason
    assert cli.main([*home, "refresh", "--as-of", R2.isoformat(), "--accept-final-moves"]) == 2
    assert "--reason" in _last_line(capsys.readouterr().err)

    reason = "SPP IS recalled the file of that month (ticket 4711)"
    args = [*home, "refresh", "--as-of", R2.isoformat(), "--accept-final-moves", "--reason", reason, "--by", "ops.an"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "accepted by ops.an" in out
    snapshot = snapshots.current(refreshed.published)
    assert snapshot.refresh_id != before and snapshot.reference_date == R2
    record = snapshot.manifest["final_moves_accepted"]
    assert record["by"] == "ops.an" and record["reason"] == reason and record["decided_at"]
    assert [m["month"] for m in record["months"]] == [month.isoformat()]
    assert record["months"][0]["new_total"] == 0 and record["months"][0]["move_pct"] == 100
    on_disk = json.loads(snapshots.manifest_path(refreshed.published, snapshot.refresh_id).read_text())
    assert on_disk["final_moves_accepted"] == record

    # and the run's own record says it too: its tags, the check's and the publication's metadata
    instance = dg.DagsterInstance.get()
    run = instance.get_run_by_id(record["run_id"])
    assert run.tags["lww/accept_final_moves_by"] == "ops.an" and run.tags["lww/accept_final_moves_reason"] == reason
    published = instance.get_latest_materialization_event(dg.AssetKey(["published", "snapshot"]))
    metadata = published.asset_materialization.metadata
    assert metadata["final_moves_accepted_by"].value == "ops.an"
    assert metadata["final_moves_accepted_reason"].value == reason


def test_a_child_holds_the_warehouse_until_it_is_gone_and_dies_with_its_parent(tmp_path):
    from dagster_project import children
    from dagster_project.lock import busy, children_lock
    from kernel.errors import LwwError

    lock = tmp_path / "warehouse.lock"
    # a parent that starts a long child through the launcher, says the child's pid, then waits
    parent = subprocess.Popen(
        [sys.executable, "-c", "import os, subprocess, sys, time; "
         "env = {**os.environ, sys.argv[1]: str(os.getpid()), sys.argv[2]: sys.argv[3]}; "
         "child = subprocess.Popen([sys.executable, '-m', 'dagster_project.children', '--', 'sleep', '600'], env=env); "
         "print(child.pid, flush=True); time.sleep(600)",
         children.PARENT_ENV, children.LOCK_ENV, str(children_lock(lock))],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    child = int(parent.stdout.readline())
    try:
        deadline = time.monotonic() + 10
        while busy(lock) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert busy(lock) == f"a child process (dbt) of an earlier run (pid {child})"
        held = rf"a child process \(dbt\) of an earlier run \(pid {child}\) still holds"
        with pytest.raises(LwwError, match=held), exclusive(lock, timeout_s=0.3):
            pass
        parent.kill()  # SIGKILL: no chance to clean up; Linux kills the child with it
        parent.wait()
        deadline = time.monotonic() + 5
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _running(child), "the child outlived its parent"
        with exclusive(lock, timeout_s=5):  # the warehouse is free again
            pass
    finally:
        if parent.poll() is None:
            parent.kill()
        if _running(child):
            os.kill(child, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's first process may not reap orphans)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"

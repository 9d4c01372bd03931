"""``lww refresh`` as an operator sees it: a quiet run that ends with a summary whose figures are the ledger's and
the snapshot's, and ``--verbose`` for dbt's and Dagster's own lines."""

import re
import subprocess
import sys

import dagster as dg
from hypothesis import given
from hypothesis import strategies as st

from dagster_project.dates import REFERENCE_DATE_TAG
from dagster_project.progress import quarantined_from
from dagster_project.runner import NO_PUBLISH_TAG, prepare_dagster_home
from kernel import snapshots
from kernel.calendar import amounts_date
from tests.dagster_project.conftest import R1, R2, table_rows

NOISE = re.compile(
    r"warning|traceback|deprecat|\d+ of \d+ (START|OK|PASS)|Running with dbt|Registered adapter|profile has changed"
    r"|Completed successfully|^Done\. PASS=|\x1b",
    re.IGNORECASE | re.MULTILINE,
)


def refresh(home, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "lww.cli", "--home", str(home.home), "refresh", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def figure(pattern: str, text: str) -> re.Match:
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"{pattern!r} not in the summary:\n{text}"
    return found


def test_the_summary_says_what_the_ledger_and_the_snapshot_hold(home):
    broken = sorted(home.payments_inbox.glob("*.xml"))[0]
    text = broken.read_text(encoding="utf-8")
    start = text.index("<amount>") + len("<amount>")
    broken.write_text(text[:start] + "1.005" + text[text.index("</amount>", start) :], encoding="utf-8")

    done = refresh(home, "--as-of", R1.isoformat())
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for line in (out + done.stderr).splitlines():  # quiet: no warning, traceback, dbt log line, control code
        assert not NOISE.search(line), line

    loaded = figure(r"^files: (\d+) loaded, (\d+) quarantined", out)
    ledger = dict(table_rows(home.warehouse, "SELECT kind, sum(rows) FROM raw.loaded_files GROUP BY kind"))
    (files,) = table_rows(home.warehouse, "SELECT count(*) FROM raw.loaded_files")[0]
    quarantined = table_rows(home.warehouse, "SELECT file_name, reason FROM raw.quarantined_files")
    assert int(loaded[1]) == files > 0
    assert int(loaded[2]) == len(quarantined) == 1
    name, reason = quarantined[0]
    assert name == broken.name
    line = figure(rf"^  quarantined {re.escape(name)}: (.*) \(fix it in place, then `lww replay (\S+)`\)$", out)
    assert line[1] == reason.splitlines()[0] and line[2] == name

    rows = figure(r"^rows added: (\d+) payment lines, (\d+) right events, (\d+) consultation records$", out)
    assert (
        int(rows[1]) == ledger["payments"] == table_rows(home.warehouse, "SELECT count(*) FROM raw.payment_lines")[0][0]
    )
    assert int(rows[2]) == ledger["rights"] == table_rows(home.warehouse, "SELECT count(*) FROM raw.right_events")[0][0]

    models = figure(r"^dbt: (\d+) of (\d+) models built$", out)
    assert models[1] == models[2] and int(models[2]) > 0

    checks = figure(r"^checks (\d+) passed, (\d+) failed, (\d+) warned$", out)
    prepare_dagster_home(home)
    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs(limit=1)
        records = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    warned = [e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.WARN]
    assert int(checks[1]) == sum(e.passed for e in evaluations) > 0
    assert int(checks[2]) == 0
    assert int(checks[3]) == len(warned) >= 1  # the quarantined file warns

    published = figure(r"^published (\S+): R=(\S+), A\(R\)=(\S+) ", out)
    served = snapshots.current(home.published)
    assert published[1] == served.refresh_id
    assert published[2] == served.manifest["reference_date"] == R1.isoformat()
    assert published[3] == amounts_date(R1).isoformat()


def test_verbose_shows_dbt_lines_and_the_summary(refreshed):
    done = refresh(refreshed, "--as-of", R2.isoformat(), "--verbose")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\d+ of \d+ START sql", done.stdout, re.MULTILINE), done.stdout[-2000:]
    assert "Running with dbt=" in done.stdout
    assert re.search(r"STEP_START|Started execution of step", done.stderr), done.stderr[-2000:]
    published = figure(r"^published (\S+): R=([\d-]+),", done.stdout)
    assert published[1] == snapshots.current_id(refreshed.published) and published[2] == R2.isoformat()


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Za-z0-9_.-]{1,30}\.xml", fullmatch=True),
            st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1).map(str.strip),
        ).filter(lambda pair: pair[1] and "\n" not in pair[1]),
        max_size=5,
    )
)
def test_the_quarantined_files_are_read_back_from_the_check_metadata(files):
    """The ingest check lists ``- <name>: <reason>``; the summary names the same files with the same reasons."""
    markdown = "\n".join(f"- {name}: {reason}" for name, reason in files) or "none"
    assert [(q.name, q.reason) for q in quarantined_from(markdown)] == files


def test_no_publish_builds_and_checks_but_leaves_current_as_it_was(refreshed):
    """``lww refresh --no-publish`` (the demo builds its history with it): every step but the publication."""
    before = snapshots.current_id(refreshed.published)
    files = sorted(p.name for p in refreshed.published.iterdir())
    refused = refresh(refreshed, "--no-publish", "--accept-final-moves", "--reason", "checked")
    assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "--no-publish" in refused.stderr

    done = refresh(refreshed, "--as-of", R2.isoformat(), "--no-publish")
    assert done.returncode == 0, done.stderr
    for line in (done.stdout + done.stderr).splitlines():
        assert not NOISE.search(line), line
    figure(rf"^published nothing for R={R2} \(--no-publish\): built and checked, CURRENT left as it was", done.stdout)
    models = figure(r"^dbt: (\d+) of (\d+) models built$", done.stdout)
    assert models[1] == models[2] and int(models[2]) > 0
    assert snapshots.current_id(refreshed.published) == before
    assert sorted(p.name for p in refreshed.published.iterdir()) == files
    prepare_dagster_home(refreshed)
    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs(limit=1)
        records = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        checks = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    built = {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records}
    assert "published/snapshot" not in built and "marts/fct_monthly_amounts" in built
    assert run.tags.get(NO_PUBLISH_TAG) == "true" and run.tags.get(REFERENCE_DATE_TAG) == R2.isoformat()
    assert len(checks) > 0

"""``lww simulate`` end to end: in process (exit code, summary, files) and as a real command (bad input)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kernel.settings import PROJECT_ROOT
from lww.cli import main


def test_lww_simulate_writes_the_upstream_and_prints_a_summary(small_run, tmp_path: Path, capsys) -> None:
    code = main(
        [
            "--home",
            str(tmp_path),
            "simulate",
            "--seed",
            "11",
            "--pcsa",
            "6",
            "--people",
            "300",
            "--from",
            "2024-01",
            "--to",
            "2025-03",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[-1].startswith("simulated 2024-01..2025-03: 30 files, ")
    assert f"{small_run.summary.lines} payment lines" in out[-1]
    assert any("Try a consultation as inami" in line for line in out)
    assert len(list((tmp_path / "inbox" / "payments").glob("PAY-*.xml"))) == 15
    assert len(list((tmp_path / "inbox" / "rights").glob("RIG-*.xml"))) == 15
    assert sorted(p.name for p in (tmp_path / "reference").glob("*.csv")) == [
        "authorizations.csv",
        "institutions.csv",
        "integrations.csv",
        "pcsa.csv",
        "subscriptions.csv",
        "users.csv",
    ]
    # The same seed through the command line gives the library's files, byte for byte.
    mine = (tmp_path / "inbox" / "payments" / "PAY-2024-07-001.xml").read_bytes()
    assert mine == (small_run.settings.payments_inbox / "PAY-2024-07-001.xml").read_bytes()


def test_a_bad_month_gives_a_one_line_error_and_a_non_zero_exit(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lww.cli", "--home", str(tmp_path), "simulate", "--from", "2025-13"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "--from" in result.stderr and "YYYY-MM" in result.stderr
    assert not (tmp_path / "inbox").exists()

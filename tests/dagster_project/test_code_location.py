"""The code location is named after the project, in the workspace `lww ui` (dagster dev) loads."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from kernel.settings import settings
from lww.commands import ui

LOCATION = "living_wages_warehouse"


def test_lww_ui_loads_the_projects_workspace(tmp_path):
    args = argparse.Namespace(settings=settings(tmp_path), host="127.0.0.1", port=3999)
    argv, env = ui.command(args)
    assert argv[1:3] == ["dev", "-w"]
    assert Path(argv[3]) == ui.WORKSPACE and ui.WORKSPACE.is_file()
    assert "-m" not in argv
    assert env["LWW_HOME"] == str(tmp_path)


def test_dagster_loads_the_workspace_as_one_location_named_after_the_project(tmp_path):
    # Dagster's own loader, in a process of its own from another folder, as dagster dev loads it
    dagster = Path(sys.executable).with_name("dagster")
    env = {**os.environ, "LWW_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(ui.WORKSPACE)],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert f"Validation successful for code location {LOCATION}." in output
    assert "code location dagster_project" not in output

"""``lww ui``: the Dagster UI (and daemon, for the schedule and sensors) over this home."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kernel.settings import PROJECT_ROOT

WORKSPACE = PROJECT_ROOT / "workspace.yaml"  # the code location, named after the project


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("ui", help="the Dagster UI with the schedule and sensors (dagster dev)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.set_defaults(handler=run)


def command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The ``dagster dev`` command line and environment (pure, for tests and ``lww demo``)."""
    from dagster_project.runner import prepare_dagster_home

    home = args.settings.ensure()
    prepare_dagster_home(home)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "LWW_HOME": str(home.home),
        "DAGSTER_HOME": str(home.dagster_home),
        # dagster-dbt looks for dbt on PATH: put this venv's first.
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
    }
    argv = [
        str(Path(bin_dir) / "dagster"),
        "dev",
        "-w",
        str(WORKSPACE),
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    return argv, env


def run(args: argparse.Namespace) -> int:
    argv, env = command(args)
    os.execve(argv[0], argv, env)
    return 0  # not reached

"""``lww dashboards [--host 127.0.0.1] [--port 8501]``: the analysts' Streamlit dashboards (CONTRACT §1).

Runs ``streamlit run dashboards/streamlit_app.py`` in the dashboards folder (so its ``.streamlit/config.toml``
applies: headless, no usage statistics), with ``LWW_HOME`` passed on so the app reads this home's snapshots.
Binds to 127.0.0.1 unless told otherwise: the pages show personal data.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kernel.errors import LwwError
from lww.ports import check_free

DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "dashboards"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dashboards", help="start the analysts' dashboards (Streamlit)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default: 8501)")
    parser.set_defaults(handler=run)


def command(home: Path, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The streamlit command line and environment (separate, so a test can check them without a server)."""
    if not 0 < port < 65536:
        raise LwwError(f"--port {port}: expected a TCP port between 1 and 65535")
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARDS_DIR / "streamlit_app.py"),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    env = {**os.environ, "LWW_HOME": str(home), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    return argv, env


def run(args: argparse.Namespace) -> int:
    home: Path = args.settings.home  # lww.cli has refused a home that does not exist
    argv, env = command(home, args.host, args.port)
    check_free(args.host, args.port)
    print(f"dashboards on http://{args.host}:{args.port} (data: {args.settings.published})", flush=True)
    # Replace this process by Streamlit: a signal to `lww dashboards` then reaches the server itself, and no
    # orphan server outlives its command.
    os.chdir(DASHBOARDS_DIR)
    os.execve(argv[0], argv, env)
    return 0  # not reached

"""``lww demo``: simulate a small upstream, refresh, then start the service, the dashboards and the Dagster UI."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kernel.calendar import today_brussels
from kernel.errors import LwwError

SERVICES = (
    ("serve", ["--port", "8080"], "consultation service", "http://127.0.0.1:8080/soap/LivingWagesService/v2?wsdl"),
    ("dashboards", ["--port", "8501"], "dashboards", "http://127.0.0.1:8501"),
    ("ui", ["--port", "3000"], "Dagster UI", "http://127.0.0.1:3000"),
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="simulate + refresh + serve + dashboards + ui, printing URLs and credentials")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-start", action="store_true", help="simulate and refresh only, start nothing")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lww import cli

    home = args.settings.ensure()
    lww = [sys.executable, "-m", "lww.cli", "--home", str(home.home)]
    if not any(home.payments_inbox.glob("*.xml")) and not (home.reference / "pcsa.csv").exists():
        if cli.main(["--home", str(home.home), "simulate", "--seed", str(args.seed)]) != 0:
            raise LwwError("the simulation failed (see above)")
    else:
        print(f"{home.home} already has upstream files: not simulating again")
    if cli.main(["--home", str(home.home), "refresh", "--as-of", today_brussels().isoformat()]) != 0:
        raise LwwError("the refresh failed (see above)")
    if args.no_start:
        return 0
    processes: dict[str, subprocess.Popen] = {}
    for name, extra, label, url in SERVICES:
        if importlib.util.find_spec(f"lww.commands.{name}") is None:
            continue
        log = (home.logs / f"{name}.log").open("ab")
        env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
        processes[name] = subprocess.Popen([*lww, name, *extra], stdout=log, stderr=subprocess.STDOUT, env=env)
        print(f"{label:22} {url}   (log: {home.logs / (name + '.log')})")
    print("Ctrl-C stops everything.")
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(1)
        failed = [name for name, p in processes.items() if p.poll() not in (None, 0)]
        if failed:
            raise LwwError(f"{', '.join(failed)} stopped: see its log in {home.logs}")
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0

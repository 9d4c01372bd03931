"""``lww demo``: simulate a small upstream, refresh, then start the service, the dashboards and the Dagster UI."""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
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


def notification_services() -> tuple[tuple[str, list[str], str, str], ...]:
    """The reference subscriber on the port the simulated subscriptions point every subscribed institution at,
    and a notifier that keeps delivering (imported here: the simulator is not for every command's start)."""
    from simulator.reference import NOTIFICATION_PORT

    url = f"http://127.0.0.1:{NOTIFICATION_PORT}/notifications/<institution>"
    return (
        ("subscriber", ["--port", str(NOTIFICATION_PORT)], "reference subscriber", url),
        ("notify", ["--follow"], "notifier", "lww notify --status"),
    )


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="simulate + refresh + serve + dashboards + ui, printing URLs and credentials")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-start", action="store_true", help="simulate and refresh only, start nothing")
    parser.add_argument(
        "--credentials",
        action="store_true",
        help="only print the demo credentials of this home (derived from --seed; stored nowhere) and exit",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lww import cli

    if args.credentials:
        from simulator import credentials

        found = credentials.credentials(args.settings.reference, args.seed, every_institution=True)
        print("\n".join(credentials.lines(found, args.seed)))
        return 0
    home = args.settings.ensure()
    lww = [sys.executable, "-m", "lww.cli", "--home", str(home.home)]
    held_back = None
    if not any(home.payments_inbox.glob("*.xml")) and not (home.reference / "pcsa.csv").exists():
        if cli.main(["--home", str(home.home), "simulate", "--seed", str(args.seed)]) != 0:
            raise LwwError("the simulation failed (see above)")
        if not args.no_start:  # the last month's right events arrive after the first refresh: notified
            held_back = _hold_back_last_rights(home)
    else:
        print(f"{home.home} already has upstream files: not simulating again")
    if cli.main(["--home", str(home.home), "refresh", "--as-of", today_brussels().isoformat()]) != 0:
        raise LwwError("the refresh failed (see above)")
    if args.no_start:
        _closing(home, args.seed, [])
        return 0
    processes: dict[str, subprocess.Popen] = {}
    started: list[str] = []

    def start(name: str, extra: list[str], label: str, url: str) -> None:
        if importlib.util.find_spec(f"lww.commands.{name}") is None:
            return
        log = (home.logs / f"{name}.log").open("ab")
        env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
        processes[name] = subprocess.Popen([*lww, name, *extra], stdout=log, stderr=subprocess.STDOUT, env=env)
        started.append(f"{label:22} {url}   (log: {home.logs / (name + '.log')})")
        print(started[-1])

    # The Dagster UI last, once no refresh of the demo is to come: its sensors then find every file loaded.
    later = [service for service in SERVICES if service[0] == "ui"]
    for service in (*[s for s in SERVICES if s not in later], *notification_services()):
        start(*service)
    if held_back is not None:
        _notify_a_month(cli, home, held_back)
    for service in later:
        start(*service)
    _closing(home, args.seed, started)
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


def _closing(home, seed: int, started: list[str]) -> None:
    """The closing block of every run: what runs where, and the credentials (pushed off screen by then)."""
    from simulator import credentials

    print()
    for line in started:
        print(line)
    try:
        print("\n".join(credentials.lines(credentials.credentials(home.reference, seed), seed)))
        print("  every institution's account: lww demo --credentials")
    except LwwError as error:
        print(f"Demo credentials: {error}")


def _hold_back_last_rights(home) -> Path | None:
    """Move the newest rights file out of the inbox: the first refresh loads the history (notified to nobody),
    and this file, put back after it, makes its events due: the demo shows a notification arrive."""
    files = sorted(home.rights_inbox.glob("RIG-*.xml"))
    if not files:
        return None
    held = home.home / "demo-held-back"
    held.mkdir(exist_ok=True)
    return Path(shutil.move(files[-1], held / files[-1].name))


def _notify_a_month(cli, home, held_back: Path) -> None:
    """Put the held-back rights file in the inbox and refresh: the notifier (--follow) delivers what it made due
    to the reference subscriber."""
    from service.notifications import subscriber

    print(f"\n{held_back.name} arrives now (a month of right events): refreshing again, so subscribers are notified")
    shutil.move(held_back, home.rights_inbox / held_back.name)
    held_back.parent.rmdir()
    if cli.main(["--home", str(home.home), "refresh", "--as-of", today_brussels().isoformat()]) != 0:
        raise LwwError("the second refresh failed (see above)")
    receipts = home.home / "subscriber" / "received.jsonl"
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline:
        count = len(subscriber.received(receipts))
        if count and count == len(subscriber.received(receipts)):
            time.sleep(2)
            if count == len(subscriber.received(receipts)):
                break
        time.sleep(1)
    print(
        f"the reference subscriber received {count} notifications: {receipts} (one JSON line each); "
        f"delivery per subscriber: lww notify --status, or the dashboards' Notifications page"
    )

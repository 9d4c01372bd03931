"""``lww demo``: simulate a small upstream, refresh, then start the service, the dashboards and the Dagster UI."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from kernel import snapshots
from kernel.calendar import today_brussels
from kernel.errors import LwwError

SERVICES = (
    ("serve", ["--port", "8080"], "consultation service", "http://127.0.0.1:8080/ (its endpoints, WSDLs, OpenAPI)"),
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
    if not args.no_start:
        _check_ports()  # before the refreshes, which take a minute or two, then again before the servers start
    home = args.settings.ensure()
    lww = [sys.executable, "-m", "lww.cli", "--home", str(home.home)]
    if not any(home.payments_inbox.glob("*.xml")) and not (home.reference / "pcsa.csv").exists():
        _simulate(home, args.seed)
    else:
        print(f"{home.home} already has upstream files: not simulating again")
    # A home never published: its newest month of right events arrives after the history is built, so the one
    # publication makes that month's notifications due (the record of a first build notifies nobody).
    held_back = _hold_back_last_rights(home) if snapshots.current_id(home.published) is None else None
    if held_back is not None:
        print("\nbuilding the history up to the month before, without publishing it:")
        _refresh(cli, home, "--no-publish")
        print(f"\n{held_back.name} arrives now (a month of right events): the refresh that publishes notifies it")
        _put_back(home, held_back)
    _refresh(cli, home)
    if args.no_start:
        _closing(home, args.seed, [])
        return 0
    _check_ports()
    processes: dict[str, subprocess.Popen] = {}
    started: list[str] = []

    def start(name: str, extra: list[str], label: str, url: str) -> None:
        if importlib.util.find_spec(f"lww.commands.{name}") is None:
            return
        log = (home.logs / f"{name}.log").open("ab")
        env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
        processes[name] = subprocess.Popen([*lww, name, *extra], stdout=log, stderr=subprocess.STDOUT, env=env)
        started.append(f"{label:22} {url}")

    print(f"\nstarting the service, the dashboards, a subscriber, a notifier and the Dagster UI (logs: {home.logs})")
    try:
        for service in SERVICES:
            if service[0] != "ui":
                start(*service)
        subscriber, notifier = notification_services()
        start(*subscriber)
        _wait_for_port(int(subscriber[1][1]), processes.get("subscriber"))  # the notifier's first calls find it
        start(*notifier)
        delivered = _notifications_received(home) if held_back is not None else None
        # The Dagster UI last, once no refresh of the demo is to come: its sensors then find every file loaded.
        start(*next(service for service in SERVICES if service[0] == "ui"))
        _closing(home, args.seed, started, delivered)
        print("Ctrl-C stops everything.")
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
    print(f"\nstopped everything; the data stays in {home.home} for the next lww demo")
    return 0


def _closing(home, seed: int, started: list[str], delivered: str | None = None) -> None:
    """The closing block of every run: what runs where, and the credentials (pushed off screen by then)."""
    from simulator import credentials

    print()
    if delivered:
        print(delivered)
    for line in started:
        print(line)
    if started:
        print(f"{'logs':22} {home.logs}/<serve, dashboards, subscriber, notify, ui>.log")
    try:
        print("\n".join(credentials.lines(credentials.credentials(home.reference, seed), seed)))
        print("  every institution's account: lww demo --credentials")
    except LwwError as error:
        print(f"Demo credentials: {error}")


def _simulate(home, seed: int) -> None:
    """``lww simulate``'s upstream for the seed, summed up in two lines (the accounts come in the closing block)."""
    from simulator.config import SimulationConfig
    from simulator.run import simulate

    config = SimulationConfig(seed=seed)
    config.resolve()
    summary = simulate(config, home, progress=True)
    print(f"{summary.line()} -> {home.inbox} and {home.reference}")
    print(summary.credentials[-1])  # the consultation to try: who, for which SSIN


def _refresh(cli, home, *options: str) -> None:
    if cli.main(["--home", str(home.home), "refresh", "--as-of", today_brussels().isoformat(), *options]) != 0:
        raise LwwError("the refresh failed (see above)")


def _check_ports() -> None:
    """Every port the demo's servers listen on, before any starts: a taken one is one line, not a server's log."""
    from lww.ports import check_free

    for _name, extra, label, _url in (*SERVICES, *notification_services()):
        if "--port" in extra:
            port = int(extra[extra.index("--port") + 1])
            try:
                check_free("127.0.0.1", port)
            except LwwError:
                raise LwwError(
                    f"port {port}, the {label}'s, is already in use on 127.0.0.1: stop what listens there "
                    "(another lww demo?), then run lww demo again"
                ) from None


def _wait_for_port(port: int, process: subprocess.Popen | None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process is not None and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)


def _hold_back_last_rights(home) -> Path | None:
    """Move the newest rights file waiting in the inbox aside (one set aside by an interrupted demo stays so):
    the history is built without it, and it arrives before the one publication. None when no other file is
    left to build the history from."""
    held = home.home / "demo-held-back"
    if held.is_dir() and (earlier := sorted(held.glob("RIG-*.xml"))):
        return earlier[-1]
    files = sorted(home.rights_inbox.glob("RIG-*.xml"))
    if len(files) < 2:
        return None
    held.mkdir(exist_ok=True)
    return Path(shutil.move(files[-1], held / files[-1].name))


def _put_back(home, held_back: Path) -> None:
    shutil.move(held_back, home.rights_inbox / held_back.name)
    with contextlib.suppress(OSError):
        held_back.parent.rmdir()


def _notifications_received(home, timeout: float = 60.0) -> str:
    """Wait until the reference subscriber has received what the notifier delivers (no new receipt for 2 s),
    and say how many arrived and where."""
    from service.notifications import subscriber

    receipts = home.home / "subscriber" / "received.jsonl"
    deadline = time.monotonic() + timeout
    count, steady_since = 0, time.monotonic()
    while time.monotonic() < deadline:
        now = len(subscriber.received(receipts))
        if now != count:
            count, steady_since = now, time.monotonic()
        elif count and time.monotonic() - steady_since >= 2:
            break
        time.sleep(0.5)
    return (
        f"the reference subscriber received {count} notifications (one JSON line each in {receipts}); "
        "per subscriber: lww notify --status"
    )

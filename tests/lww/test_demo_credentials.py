"""The demo credentials are found again from the seed: in the closing block of every ``lww demo`` run and by
``lww demo --credentials``, checked against the hashes of the home's reference CSVs. A first ``lww demo``
publishes once, and that one snapshot makes the held-back month's notifications due to the subscriber."""

import contextlib
import csv
import datetime as dt
import re
import socket

import duckdb
import pytest
from argon2 import PasswordHasher

from kernel.settings import settings
from lww import cli
from lww.commands import demo
from simulator import SimulationConfig, simulate
from tests.dagster_project.test_refresh_console import NOISE
from tests.service.notifications.notify_fixture import RunningSubscriber, free_port, notify

SEED = 7


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = settings(tmp_path_factory.mktemp("demo")).ensure()
    month = dt.date(2026, 1, 1)
    simulate(SimulationConfig(seed=SEED, pcsa=2, people=10, first_month=month, last_month=month), home)
    return home


def _hashes(path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["username"]: row["password_hash"] for row in csv.DictReader(handle)}


def _accounts(out: str) -> dict[str, tuple[str, str]]:
    """{username: (kind, password)} of the printed lines."""
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("  ") and parts[0] in ("dashboards", "service"):
            found[parts[1]] = (parts[0], parts[2])
    return found


def test_lww_demo_credentials_prints_every_account_with_a_password_that_verifies(home, capsys):
    assert cli.main(["--home", str(home.home), "demo", "--seed", str(SEED), "--credentials"]) == 0
    shown = _accounts(capsys.readouterr().out)
    users, institutions = _hashes(home.reference / "users.csv"), _hashes(home.reference / "institutions.csv")
    assert {u for u, (kind, _) in shown.items() if kind == "dashboards"} == set(users)
    assert {u for u, (kind, _) in shown.items() if kind == "service"} == set(institutions)
    hasher = PasswordHasher()
    for username, (kind, password) in shown.items():
        assert hasher.verify((users if kind == "dashboards" else institutions)[username], password)


def test_the_closing_block_of_a_run_shows_the_dashboard_users_and_the_demo_institution(home, capsys):
    demo._closing(home, SEED, ["consultation service   http://127.0.0.1:8080/..."])
    out = capsys.readouterr().out
    shown = _accounts(out)
    assert {"analyst", "partner.analyst", "inami"} <= set(shown) and len(shown) == 3, out
    assert "lww demo --credentials" in out and "consultation service" in out


def test_another_seed_or_no_simulated_home_is_one_line(home, tmp_path, capsys):
    assert cli.main(["--home", str(home.home), "demo", "--seed", "8", "--credentials"]) != 0
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "not made with seed 8" in error
    assert cli.main(["--home", str(tmp_path / "empty"), "demo", "--credentials"]) != 0
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "run lww demo first" in error


def test_a_second_lww_demo_run_ends_with_the_credentials(home, capfd):
    """The home already has its upstream (not simulated again): the run still ends with the credentials."""
    assert cli.main(["--home", str(home.home), "demo", "--seed", str(SEED), "--no-start"]) == 0
    out, err = capfd.readouterr()
    for line in (out + err).splitlines():  # a quiet console: no warning, traceback, dbt log line, control code
        assert not NOISE.search(line), line
    closing = out[out.rindex("Demo credentials") :]
    assert {"analyst", "partner.analyst", "inami"} == set(_accounts(closing)), closing
    assert "already has upstream files: not simulating again" in out


def test_a_first_lww_demo_publishes_once_and_its_snapshot_notifies_the_held_back_month(tmp_path, capfd):
    """The history is built without publishing (``lww refresh --no-publish``), the newest month of right events
    arrives, and the one refresh that publishes makes its events due: the subscriber receives exactly them."""
    home = settings(tmp_path / "home").ensure()
    months = dt.date(2025, 7, 1), dt.date(2026, 2, 1)
    simulate(SimulationConfig(seed=SEED, pcsa=3, people=25, first_month=months[0], last_month=months[1]), home)
    newest = sorted(home.rights_inbox.glob("RIG-*.xml"))[-1].name
    port = free_port()
    subscriptions = home.reference / "subscriptions.csv"
    subscriptions.write_text(subscriptions.read_text().replace("127.0.0.1:18090", f"127.0.0.1:{port}"))

    assert cli.main(["--home", str(home.home), "demo", "--seed", str(SEED), "--no-start"]) == 0
    out, err = capfd.readouterr()
    for line in (out + err).splitlines():  # a quiet console: no warning, traceback, dbt log line, control code
        assert not NOISE.search(line), line

    published = sorted(path.name for path in home.published.glob("*.duckdb"))
    assert len(published) == 1, published
    current = (home.published / "CURRENT").read_text().strip()
    assert published == [f"{current}.duckdb"]
    assert len(re.findall(r"^published \d{8}T", out, flags=re.MULTILINE)) == 1, out
    built, arrives = out.index("(--no-publish)"), out.index(f"{newest} arrives now")
    assert built < arrives < out.index(f"published {current}"), out
    assert not (home.home / "demo-held-back").exists() and not (home.rights_inbox / newest).exists()
    closing = out[out.index(f"published {current}") :]
    assert {"analyst", "partner.analyst", "inami"} == set(_accounts(closing)), closing

    with duckdb.connect(str(home.published / f"{current}.duckdb"), read_only=True) as snapshot:
        due = dict(snapshot.execute("SELECT ticket_cbss, registration_date FROM due_notifications").fetchall())
    assert due, "the held-back month made nothing due: the demo would show no notification arrive"
    assert min(due.values()) >= months[1], "only the held-back month's events are due, not the history's"
    with RunningSubscriber(home.home, port) as subscriber:
        delivered = notify(home.home)
        assert delivered.returncode == 0, delivered.stderr
        assert set(subscriber.received()) == set(due)


def test_a_taken_port_stops_lww_demo_in_one_line_before_anything_is_made(tmp_path, capsys):
    """Checked before the simulation and the refreshes, which take minutes: the servers could not start."""
    from simulator.reference import NOTIFICATION_PORT

    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    with holder:
        with contextlib.suppress(OSError):  # already taken by another program: taken all the same
            holder.bind(("127.0.0.1", NOTIFICATION_PORT))
            holder.listen()
        home = tmp_path / "home"
        assert cli.main(["--home", str(home), "demo", "--seed", str(SEED)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "is already in use" in error and "run lww demo again" in error, error
    assert not home.exists()

"""Sign-in throttling and the record of sign-ins, through the rendered app (Streamlit AppTest).

The throttle's clock is moved forward instead of sleeping, so every one of the 40 wrong passwords is a real
attempt (not one refused because it came too soon), and a lock's end is reached in no time.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST, APP, PARTNER_ANALYST
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboards.lib import signins
from kernel.settings import PROJECT_ROOT


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(signins, "clock", clock)
    yield clock


def attempt(at: AppTest, credentials: tuple[str, str]) -> AppTest:
    at.text_input(key="login_username").input(credentials[0])
    at.text_input(key="login_password").input(credentials[1])
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def signed_in(at: AppTest) -> bool:
    return any(button.key == "sign_out" for button in at.button)


def record(home: Path) -> list[tuple[str, str | None, str]]:
    with sqlite3.connect(home / "logs" / signins.FILE_NAME) as connection:
        return connection.execute("SELECT username, address, outcome FROM signins ORDER BY rowid").fetchall()


def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in_while_locked(home: Path, clock: Clock) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for guess in range(40):
        attempt(at, (ANALYST[0], "guess"))
        assert not signed_in(at)
        # Never too soon: each guess is checked until the lock; then one a second, against the lock.
        clock.now += signins.MAX_DELAY + 1 if guess < signins.LOCK_AFTER else 1
    attempt(at, ANALYST)
    assert not signed_in(at)
    assert "locked" in at.error[0].value
    outcomes = [outcome for _, _, outcome in record(home)]
    assert outcomes == [signins.FAILED] * signins.LOCK_AFTER + [signins.LOCKED] * (41 - signins.LOCK_AFTER)

    # Another browser session (a new tab, or the app restarted: the lock is in a file) is locked out too.
    other = attempt(AppTest.from_file(str(APP), default_timeout=60).run(), ANALYST)
    assert not signed_in(other) and "locked" in other.error[0].value
    # ... and so is another process on the same home.
    probe = subprocess.run(
        [sys.executable, "-c", f"from dashboards.lib import signins; print(signins.refused_now({ANALYST[0]!r}))"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "LOCKED" in probe.stdout  # on the real clock: the lock holds for minutes

    clock.now += signins.LOCK_SECONDS + 1  # the lock is temporary
    assert signed_in(attempt(at, ANALYST))
    assert record(home)[-1] == (ANALYST[0], None, signins.SUCCEEDED)


def test_quick_retries_wait_a_growing_delay_and_other_users_are_not_locked_out(home: Path, clock: Clock) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for _ in range(signins.DELAY_AFTER):
        attempt(at, (ANALYST[0], "guess"))
    attempt(at, ANALYST)  # at once: refused before the password is checked
    assert not signed_in(at)
    assert at.error[0].value == "Too many failed sign-ins: wait 2 s before trying again."
    clock.now += 2
    attempt(at, (ANALYST[0], "guess"))
    attempt(at, ANALYST)
    assert at.error[0].value == "Too many failed sign-ins: wait 4 s before trying again."  # doubled

    partner = attempt(AppTest.from_file(str(APP), default_timeout=60).run(), PARTNER_ANALYST)
    assert signed_in(partner)  # a username's failures lock that username (and address), not everyone
    assert [outcome for _, _, outcome in record(home)] == [
        *[signins.FAILED] * signins.DELAY_AFTER,
        signins.THROTTLED,
        signins.FAILED,
        signins.THROTTLED,
        signins.SUCCEEDED,
    ]


def test_an_address_guessing_many_usernames_is_locked_and_its_own_success_does_not_reset_it(
    home: Path, clock: Clock
) -> None:
    """Rotating usernames from one address (the direct ``signins.attempt`` of the login page, with an address:
    AppTest's connections come from the loopback, which has none)."""
    address = "192.0.2.7"
    for index in range(signins.LOCK_AFTER):
        assert signins.attempt(f"user{index}", address, lambda: False) is False
        clock.now += signins.MAX_DELAY + 1
        if index == 4:  # the guesser signs in with its own account between guesses: the address still counts
            assert signins.attempt("own", address, lambda: True) is True
    refusal = signins.attempt("someone-new", address, lambda: True)
    assert isinstance(refusal, signins.Refusal) and refusal.outcome == signins.LOCKED
    assert signins.attempt("someone-new", "192.0.2.8", lambda: True) is True  # another address is free
    assert record(home)[-2:] == [
        ("someone-new", address, signins.LOCKED),
        ("someone-new", "192.0.2.8", signins.SUCCEEDED),
    ]


@settings(max_examples=200, deadline=None)
@given(
    failures=st.integers(min_value=0, max_value=60),
    since=st.floats(min_value=0, max_value=2 * signins.LOCK_SECONDS, allow_nan=False),
)
def test_the_wait_grows_with_the_failures_and_the_lock_ends(failures: int, since: float) -> None:
    latest = 1_000.0
    refusal = signins.refusal_for(failures, latest, latest + since)
    if failures < signins.DELAY_AFTER:
        assert refusal is None
    elif failures >= signins.LOCK_AFTER and since < signins.LOCK_SECONDS:
        assert refusal == signins.Refusal(signins.LOCKED, latest + signins.LOCK_SECONDS)
    else:
        wait = min(signins.MAX_DELAY, 2 ** (failures - signins.DELAY_AFTER + 1))
        assert (refusal is None) == (since >= wait)
        one_more = signins.refusal_for(failures + 1, latest, latest)
        assert one_more is not None and one_more.until >= latest + wait  # never shorter after one more failure


def test_spp_is_analysts_see_the_record_of_sign_ins_and_partner_analysts_do_not(home: Path, clock: Clock) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    attempt(at, (PARTNER_ANALYST[0], "guess"))
    clock.now += 60
    attempt(at, ANALYST)
    at.switch_page("app_pages/consultations.py").run()
    [expander] = [e for e in at.expander if e.label.startswith("Sign-ins")]
    shown = expander.dataframe[0].value
    assert list(shown.columns) == ["Attempted at", "Username", "Address", "Outcome"]
    assert list(zip(shown["Username"], shown["Outcome"], strict=True)) == [
        (ANALYST[0], signins.SUCCEEDED),
        (PARTNER_ANALYST[0], signins.FAILED),
    ]
    partner = attempt(AppTest.from_file(str(APP), default_timeout=60).run(), PARTNER_ANALYST)
    partner.switch_page("app_pages/consultations.py").run()
    assert not [e for e in partner.expander if e.label.startswith("Sign-ins")]

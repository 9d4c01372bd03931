"""Fixtures of the dashboards' tests: an LWW_HOME with the fixture snapshot, and a signed-in AppTest."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST, APP, publish_fixture


@pytest.fixture(autouse=True)
def _main_module_restored():
    """Streamlit's script runner installs the app as ``sys.modules["__main__"]`` and leaves it there; a process
    pool started later in the same test process (ingest's parallel parse) would then run the app in every child
    it spawns. Put the real __main__ back after each test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboards open in French; these tests read them in English unless they choose a language (the app
    runs in the test's process under AppTest, so the default is the module's). The language tests override
    this fixture."""
    from dashboards.lib import i18n

    monkeypatch.setattr(i18n, "DEFAULT", "en")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An LWW_HOME with the fixture snapshot published, and the environment pointing at it."""
    publish_fixture(tmp_path)
    monkeypatch.setenv("LWW_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def signed_in(home: Path) -> Callable[..., object]:
    """A function returning an AppTest signed in as the given (username, password)."""
    from streamlit.testing.v1 import AppTest

    def sign_in(credentials: tuple[str, str] = ANALYST):
        at = AppTest.from_file(str(APP), default_timeout=60).run()
        at.text_input(key="login_username").input(credentials[0])
        at.text_input(key="login_password").input(credentials[1])
        at.button[0].click().run()
        assert not at.exception, at.exception
        return at

    return sign_in

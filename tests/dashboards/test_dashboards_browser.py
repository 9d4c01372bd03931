"""End to end in a real headless Chromium: `lww dashboards` on a free port over the fixture home; sign in,
visit every page, save a screenshot of each under test-artifacts/dashboards/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST, PERSON

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "dashboards"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    ("CPAS explorer", "CPAS explorer", "Ranking"),
    ("Finality", "Finality", "Convergence over the refreshes"),
    ("Data quality", "Data quality", "Rejections"),
    ("Consultations", "Consultations", "Per institution and operation"),
    ("Person lookup", "Person lookup", "Type an SSIN"),
    ("Overview", "Overview", "Year on year"),
]


def _settle(page) -> None:
    """Wait until Streamlit has finished the run (its "Running..." indicator is gone) and charts are drawn."""
    page.get_by_role("img", name="Running...").wait_for(state="hidden", timeout=60_000)
    page.wait_for_timeout(1000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"lww dashboards exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"lww dashboards did not answer within {timeout}s:\n{log.read_text()}")


@pytest.mark.browser
def test_sign_in_and_visit_every_page_in_chromium(home: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: make browser"
    expect.set_options(timeout=30_000)  # a cold first run on a busy 2-core machine takes seconds
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "dashboards.log"
    lww = Path(sys.executable).with_name("lww")
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(lww), "dashboards", "--port", str(port)],
            env={**os.environ, "LWW_HOME": str(home)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 2400})
            page.set_default_timeout(30_000)
            page.goto(url)
            page.get_by_label("Username").fill(ANALYST[0])
            page.get_by_label("Password", exact=True).fill(ANALYST[1])
            page.screenshot(path=str(ARTIFACTS / "00-sign-in.png"))
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
            expect(page.get_by_text("Amount paid")).to_be_visible()
            expect(page.get_by_text("€ 1,458,761.88")).to_be_visible()
            _settle(page)
            page.screenshot(path=str(ARTIFACTS / "01-overview.png"), full_page=True)
            for number, (link, heading, marker) in enumerate(PAGES, start=2):
                page.get_by_role("link", name=link).click()
                expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
                expect(page.get_by_text(marker).first).to_be_visible()
                _settle(page)
                assert page.locator('[data-testid="stException"]').count() == 0, f"{link} shows an exception"
                name = heading.lower().replace(" ", "-")
                page.screenshot(path=str(ARTIFACTS / f"{number:02d}-{name}.png"), full_page=True)
                if heading == "Person lookup":
                    page.get_by_label("SSIN (national number)").fill(PERSON)
                    page.get_by_role("button", name="Look up").click()
                    expect(page.get_by_text("Months as beneficiary")).to_be_visible()
                    _settle(page)
                    page.screenshot(path=str(ARTIFACTS / f"{number:02d}-{name}-result.png"), full_page=True)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log.read_text(), log.read_text()

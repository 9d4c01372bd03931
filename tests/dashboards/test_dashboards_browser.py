"""End to end in a real headless Chromium: `lww dashboards` on a free port over the fixture home; sign in,
visit every page, save a screenshot of each under test-artifacts/dashboards/."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST, BRUXELLES, PARTNER_ANALYST, PERSON

from dashboards.lib import formats, i18n

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
    with _dashboards(home, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        page.set_default_timeout(30_000)
        page.goto(f"{url}/?lang=en")  # this test reads the pages in English (the default is French)
        page.get_by_label("Username").fill(ANALYST[0])
        page.get_by_label("Password", exact=True).fill(ANALYST[1])
        page.screenshot(path=str(ARTIFACTS / "00-sign-in.png"))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
        expect(page.get_by_text("Amount paid")).to_be_visible()
        expect(page.get_by_text("1.458.761,88 €")).to_be_visible()
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


@contextlib.contextmanager
def _dashboards(home: Path, tmp_path: Path) -> Iterator[str]:
    """`lww dashboards` on a free port over ``home``: its URL, while it runs."""
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
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log.read_text(), log.read_text()


def _sign_in(page, credentials: tuple[str, str]) -> None:
    page.get_by_label("Username").fill(credentials[0])
    page.get_by_label("Password", exact=True).fill(credentials[1])
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_a_reload_keeps_the_page_and_filters_and_a_partner_reads_less_than_five(home: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with _dashboards(home, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 2000})
        page.set_default_timeout(30_000)
        page.goto(f"{url}/?lang=en")  # in English (the default is French): the reload keeps it
        _sign_in(page, ANALYST)
        expect(page.get_by_text("1.458.761,88 €")).to_be_visible()
        expect(page.get_by_text("next scheduled refresh Saturday")).to_be_visible()
        page.get_by_role("link", name="Finality").click()
        expect(page.get_by_role("heading", name="Finality", level=1)).to_be_visible()
        page.get_by_label("Region").click()  # the multiselect opens its options
        page.get_by_role("option", name="Flanders").click()
        page.keyboard.press("Escape")
        expect(page.get_by_text("· Flanders ·")).to_be_visible()
        _settle(page)
        expect(page).to_have_url(re.compile(r"page=finality.*region=FLANDERS"))
        page.reload()  # a new session: the user signs in again, and lands on the same view
        _sign_in(page, ANALYST)
        expect(page.get_by_role("heading", name="Finality", level=1)).to_be_visible()
        expect(page.get_by_text("· Flanders ·")).to_be_visible()
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "10-reloaded-finality.png"), full_page=True)

        partner = browser.new_page(viewport={"width": 1280, "height": 2000})
        partner.set_default_timeout(30_000)
        partner.goto(f"{url}/?from=2026-03&to=2026-03&cpas={BRUXELLES}&allowance=EQUIVALENT_LIVING_WAGE&lang=en")
        _sign_in(partner, PARTNER_ANALYST)
        expect(partner.get_by_role("heading", name="Overview", level=1)).to_be_visible()
        _settle(partner)
        with i18n.language("en"):
            footnote = formats.footnote()
        expect(partner.get_by_text(footnote).first).to_be_visible()
        expect(partner.get_by_test_id("stMetricValue").filter(has_text=formats.HIDDEN).first).to_be_visible()
        # The grid paints its cells on a canvas; the table it keeps inside for assistive technology holds the same.
        cells = partner.locator('[data-testid="stDataFrame"] td[role="gridcell"]')
        expect(cells.filter(has_text=formats.HIDDEN).first).to_be_attached()
        assert cells.filter(has_text="None").count() == 0
        partner.screenshot(path=str(ARTIFACTS / "11-partner-less-than-five.png"), full_page=True)
        browser.close()


@pytest.mark.browser
def test_the_language_is_chosen_in_the_sidebar_and_a_reload_keeps_it_with_the_filters(
    home: Path, tmp_path: Path
) -> None:
    """French by default (the sign-in too); Nederlands chosen in the sidebar turns the page Dutch and goes into
    the URL, so that a reload (a new session: the user signs in again) opens in Dutch with the same filters."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with _dashboards(home, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 2000})
        page.set_default_timeout(30_000)
        page.goto(url)
        page.get_by_label("Nom d'utilisateur").fill(ANALYST[0])
        page.get_by_label("Mot de passe", exact=True).fill(ANALYST[1])
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", name="Vue d'ensemble", level=1)).to_be_visible()
        expect(page.get_by_text("Montant payé")).to_be_visible()
        expect(page.get_by_text("prochaine mise à jour planifiée : samedi")).to_be_visible()
        _settle(page)

        page.get_by_label(i18n.PICKER_LABEL).click()
        page.get_by_role("option", name="Nederlands").click()
        expect(page.get_by_role("heading", name="Overzicht", level=1)).to_be_visible()
        expect(page.get_by_text("Betaald bedrag")).to_be_visible()
        expect(page.get_by_text("volgende geplande vernieuwing: zaterdag")).to_be_visible()
        page.get_by_label("Gewest").click()
        page.get_by_role("option", name="Vlaams Gewest").click()
        page.keyboard.press("Escape")
        expect(page.get_by_text("· Vlaams Gewest ·")).to_be_visible()
        _settle(page)
        expect(page).to_have_url(re.compile(r"region=FLANDERS.*lang=nl|lang=nl.*region=FLANDERS"))
        page.screenshot(path=str(ARTIFACTS / "20-overview-nl.png"), full_page=True)

        page.reload()
        page.get_by_label("Gebruikersnaam").fill(ANALYST[0])
        page.get_by_label("Wachtwoord", exact=True).fill(ANALYST[1])
        page.get_by_role("button", name="Aanmelden").click()
        expect(page.get_by_role("heading", name="Overzicht", level=1)).to_be_visible()
        expect(page.get_by_text("· Vlaams Gewest ·")).to_be_visible()
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "21-reloaded-nl.png"), full_page=True)
        browser.close()

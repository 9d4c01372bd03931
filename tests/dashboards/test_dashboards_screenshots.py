"""The README's pictures of the dashboards, taken in a real headless Chromium at 1280×900: the main pages in French
and in Dutch (``?lang=fr``, ``?lang=nl``), signed in as an analyst over the fixture home.

The test always takes them and checks each is a picture of a page (a PNG of the viewport's size, not one colour);
it writes them under ``docs/`` only when ``LWW_SCREENSHOTS=docs`` asks (``LWW_SCREENSHOTS=docs .venv/bin/pytest
tests/dashboards/test_dashboards_screenshots.py``), else in its temporary folder, so a test run leaves the tree
clean."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST
from PIL import Image
from test_dashboards_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, _dashboards, _settle

from dashboards.lib import i18n

VIEWPORT = {"width": 1280, "height": 900}
# (file name part, the page's navigation key: its link and its heading)
PAGES = (
    ("overview", "nav.overview"),
    ("cpas-explorer", "nav.cpas_explorer"),
    ("data-quality", "nav.data_quality"),
)
LANGUAGES = ("fr", "nl")


def screenshots_folder(tmp_path: Path) -> Path:
    """``docs/`` of the project when ``LWW_SCREENSHOTS=docs``, else a folder of the test's own."""
    asked = os.environ.get("LWW_SCREENSHOTS", "")
    if asked not in ("", "docs"):
        pytest.fail(f"LWW_SCREENSHOTS={asked!r}: the one value understood is docs (write them under docs/)")
    folder = ROOT / "docs" if asked == "docs" else tmp_path / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_picture(data: bytes, name: str) -> None:
    """A PNG of the viewport's size that shows something: many colours, not a blank or one-colour page."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{name} is not a PNG"
    assert struct.unpack(">II", data[16:24]) == (VIEWPORT["width"], VIEWPORT["height"]), name
    colours = Image.open(io.BytesIO(data)).convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 64, f"{name} shows {len(colours)} colours: an empty page"


@pytest.mark.browser
def test_the_main_pages_in_french_and_dutch_are_pictured_for_the_readme(home: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: make browser"
    expect.set_options(timeout=30_000)
    folder = screenshots_folder(tmp_path)
    taken = []
    with _dashboards(home, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang in LANGUAGES:
            with i18n.language(lang):
                texts = {key: i18n.t(key) for key in ("login.username", "login.password", "login.submit")}
                titles = {key: i18n.t(key) for _, key in PAGES}
            page = browser.new_page(viewport=VIEWPORT)  # a session of its own: signed in in that language
            page.set_default_timeout(30_000)
            page.goto(f"{url}/?lang={lang}")
            page.get_by_label(texts["login.username"]).fill(ANALYST[0])
            page.get_by_label(texts["login.password"], exact=True).fill(ANALYST[1])
            page.get_by_role("button", name=texts["login.submit"]).click()
            for part, key in PAGES:
                if key != "nav.overview":  # the overview opens after the sign-in
                    page.get_by_role("link", name=titles[key]).click()
                expect(page.get_by_role("heading", name=titles[key], level=1)).to_be_visible()
                _settle(page)
                assert page.locator('[data-testid="stException"]').count() == 0, f"{part} ({lang}) shows an error"
                path = folder / f"dashboards-{part}-{lang}.png"
                page.screenshot(path=str(path))
                check_picture(path.read_bytes(), path.name)
                taken.append(path.name)
            page.close()
        browser.close()
    assert sorted(taken) == sorted(f"dashboards-{part}-{lang}.png" for part, _ in PAGES for lang in LANGUAGES)

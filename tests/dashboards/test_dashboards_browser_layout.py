"""The dashboards at 1,280 px in a real headless Chromium, in French and Dutch, as an SPP IS analyst and as a
partner analyst: no page scrolls sideways, no table is wider than its place (its columns fit without a scroll bar
of their own), no KPI tile cuts its figure short, no chart is empty, wider than its place or cuts a label or a
legend short; a click on a CPAS bar of the ranking opens the CPAS explorer on that CPAS; a partner's heat map
shows a withheld cell as ``< 5``.

(Beside ``test_dashboards_browser.py``, whose helpers it uses: the layout is checked on every page and tab.)
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST, NAMUR, PARTNER_ANALYST, PERSON
from test_dashboards_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _dashboards, _settle
from test_dashboards_extracts import released_elsewhere
from test_dashboards_notifications import fill as fill_notifications

from dashboards.lib import formats, i18n, sidebar

WIDTH = 1280
LANG = "fr"  # the dashboards' default language, asked in the URL (the tests' own default is English)
# Measured in the page: the main area's edges, the page's own scroll width, and for every table and chart shown
# (not those in a closed expander or a hidden tab), its box and the width of its content.
LAYOUT = """() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  const shown = (element) => element.getBoundingClientRect().width > 0 && element.checkVisibility();
  const box = (element) => { const b = element.getBoundingClientRect(); return [b.left, b.right]; };
  return {
    main: [main.left, main.right],
    page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    tables: [...document.querySelectorAll('[data-testid="stDataFrame"]')].filter(shown).map((table) => {
      const scroller = table.querySelector('.dvn-scroller');
      return {
        box: box(table),
        content: scroller ? [scroller.scrollWidth, scroller.clientWidth] : [0, 0],
        headers: [...table.querySelectorAll('th[role="columnheader"]')].map((th) => th.textContent),
      };
    }),
    tiles: [...document.querySelectorAll('[data-testid="stMetricValue"]')].filter(shown).map((tile) => {
      const cut = [tile, ...tile.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1);
      return {text: tile.textContent, cut};
    }),
    charts: [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].filter(shown).map((chart) => {
      const svg = chart.querySelector('svg');
      return {
        box: box(chart),
        content: [svg ? svg.getBoundingClientRect().width : 0, chart.getBoundingClientRect().width],
        drawn: svg !== null && svg.getBoundingClientRect().height > 0,
        cut: [...chart.querySelectorAll('text')].map((t) => t.textContent).filter((t) => t.endsWith('…')),
        clipped: svg === null ? [] : [...svg.querySelectorAll('text')].filter((t) => {
          const r = t.getBoundingClientRect(), s = chart.getBoundingClientRect();  // the element clips, not the svg
          const out = r.top < s.top - 3 || r.bottom > s.bottom + 3 || r.left < s.left - 3 || r.right > s.right + 3;
          return r.width > 0 && out && t.getAttribute('opacity') !== '0';  // Vega hides overlapping labels so
        }).map((t) => t.textContent),
      };
    }),
  };
}"""


def _sign_in(page, credentials: tuple[str, str], lang: str = LANG) -> None:
    with i18n.language(lang):
        page.get_by_label(i18n.t("login.username")).fill(credentials[0])
        page.get_by_label(i18n.t("login.password"), exact=True).fill(credentials[1])
        page.get_by_role("button", name=i18n.t("login.submit")).click()


def _overflows(page, where: str) -> list[str]:
    """What does not fit at this width on the page as it is shown, said where."""
    layout = page.evaluate(LAYOUT)
    left, right = layout["main"]
    found = []
    if layout["page"][0] > layout["page"][1]:
        found.append(f"{where}: the page scrolls sideways ({layout['page'][0]} px > {layout['page'][1]} px)")
    for table in layout["tables"]:
        name = f"{where}, table {table['headers'][:3]}"
        if table["box"][0] < left - 1 or table["box"][1] > right + 1:
            found.append(f"{name}: outside the main area {table['box']} vs {[left, right]}")
        if table["content"][0] > table["content"][1] + 1:
            found.append(f"{name}: {table['content'][0]} px of columns in {table['content'][1]} px")
    found += [f"{where}, tile {tile['text']!r}: cut short" for tile in layout["tiles"] if tile["cut"]]
    for number, chart in enumerate(layout["charts"]):
        name = f"{where}, chart {number}"
        if chart["box"][0] < left - 1 or chart["box"][1] > right + 1:
            found.append(f"{name}: outside the main area {chart['box']} vs {[left, right]}")
        if chart["content"][0] > chart["content"][1] + 1:
            found.append(f"{name}: {chart['content'][0]} px drawn in {chart['content'][1]} px")
        if not chart["drawn"]:  # Vega drew nothing (a field name its expressions cannot read, say)
            found.append(f"{name}: nothing drawn")
        if chart["clipped"]:
            found.append(f"{name}: labels outside the drawing {chart['clipped']}")
        if chart["cut"]:
            found.append(f"{name}: labels cut short {chart['cut']}")
    return found


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "nl"])  # Dutch writes the longest column titles
def test_every_table_and_chart_fits_the_page_at_1280_px(home: Path, tmp_path: Path, lang: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    # The operators' pages with something to show: a notifier's store, and extracts released.
    fill_notifications(home)
    (home / "extracts").mkdir()
    shutil.copy(released_elsewhere(tmp_path), home / "extracts" / "manifest.jsonl")

    expect.set_options(timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    visited: dict[str, list[str]] = {}
    with _dashboards(home, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for credentials in (ANALYST, PARTNER_ANALYST):
            page = browser.new_page(viewport={"width": WIDTH, "height": 1600})
            page.set_default_timeout(30_000)
            page.goto(f"{url}/?lang={lang}")
            _sign_in(page, credentials, lang)
            links = page.locator('[data-testid="stSidebarNav"] a')
            expect(links.first).to_be_visible()
            _settle(page)
            paths = [links.nth(i).get_attribute("href") for i in range(links.count())]
            visited[credentials[0]] = paths
            for number in range(len(paths)):
                link = links.nth(number)
                name = link.locator("p").inner_text().strip()  # the label (the icon is a ligature beside it)
                link.click()
                expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
                _settle(page)
                if page.get_by_test_id("stForm").count():  # the person lookup: look someone up first
                    page.get_by_test_id("stForm").locator("input").fill(PERSON)
                    page.get_by_test_id("stForm").get_by_role("button").click()
                    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
                    _settle(page)
                assert page.locator('[data-testid="stException"]').count() == 0, name
                tabs = page.get_by_role("tab")
                for tab in range(tabs.count()) or [None]:
                    where = f"{lang}, {credentials[0]}, {name}"
                    if tab is not None:
                        tabs.nth(tab).click()
                        _settle(page)
                        where += f", tab {tabs.nth(tab).inner_text().strip()}"
                    found += _overflows(page, where)
                bars = page.locator(f".st-key-{sidebar.PICK_CHART_KEY} path[role='graphics-symbol']")  # its bars
                if bars.count() > 1:  # the CPAS explorer: its charts of picked CPAS, as a click on two bars shows
                    bars.nth(0).click()
                    _settle(page)
                    bars.nth(1).click(modifiers=["Shift"])  # Vega adds to a point selection with shift
                    _settle(page)
                    found += _overflows(page, f"{lang}, {credentials[0]}, {name}, CPAS picked")
                page.screenshot(path=str(ARTIFACTS / f"30-{lang}-{credentials[0]}-{number}.png"), full_page=True)
            page.close()
        browser.close()
    assert len(visited[ANALYST[0]]) > len(visited[PARTNER_ANALYST[0]]) >= 5, visited  # every page was seen
    assert not found, "\n".join(found)


@pytest.mark.browser
def test_a_click_on_a_cpas_bar_opens_the_explorer_on_that_cpas(home: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with i18n.language(LANG):
        explorer, selected, pcsa = i18n.t("nav.cpas_explorer"), i18n.t("explorer.selected"), i18n.t("col.pcsa_name")
    with _dashboards(home, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 500})  # the ranking is below the fold
        page.set_default_timeout(30_000)
        page.goto(f"{url}/?lang={LANG}")
        _sign_in(page, ANALYST)
        page.get_by_role("link", name=explorer).click()
        expect(page.get_by_role("heading", name=explorer, level=1)).to_be_visible()
        _settle(page)
        expect(page.get_by_role("heading", name=selected)).to_have_count(0)  # no CPAS chosen yet
        # Vega labels each bar for assistive technology: "Montant (EUR): 339.064 €; CPAS: Namur".
        page.locator(f'[data-testid="stVegaLiteChart"] [role="graphics-symbol"][aria-label$="{pcsa}: Namur"]').click()
        _settle(page)
        # the page shows the CPAS picked from its top, not the ranking the click left the reader at
        top = page.get_by_role("heading", name=selected).bounding_box()
        assert top is not None and 0 <= top["y"] < 500, top
        expect(page).to_have_url(re.compile(rf"cpas={NAMUR}"))  # the filter, in the link too
        expect(page.get_by_test_id("stSidebar").get_by_text(f"Namur ({NAMUR})")).to_be_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "31-picked-cpas.png"), full_page=True)
        browser.close()


@pytest.mark.browser
def test_a_partner_reads_a_withheld_heat_map_cell_as_less_than_five(home: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with i18n.language(LANG):
        quality, heat_map = i18n.t("nav.data_quality"), i18n.t("dq.heatmap")
    with _dashboards(home, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1600})
        page.set_default_timeout(30_000)
        page.goto(f"{url}/?lang={LANG}")
        _sign_in(page, PARTNER_ANALYST)
        page.get_by_role("link", name=quality).click()
        expect(page.get_by_text(heat_map)).to_be_visible()
        _settle(page)
        chart = page.get_by_test_id("stVegaLiteChart").nth(1)  # the bars of the reasons, then the heat map
        # Namur's rejections (3 of R01, 1 of R03) are withheld: their cells read "< 5", never the count.
        cells = chart.locator("g.mark-text.role-mark text")  # the figures in the cells, not the axes' or legend's
        written = sorted(cells.all_text_contents())
        assert written == sorted([formats.HIDDEN, formats.HIDDEN, "7"]), written
        page.screenshot(path=str(ARTIFACTS / "32-partner-heat-map.png"), full_page=True)
        browser.close()

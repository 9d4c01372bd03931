"""The pages of the dashboards and who gets which: declared once, read by the entry point and by the tests.

Partner analysts get no person lookup at all: it is not registered for them. A new page is one line here; the
page test then renders it for a partner analyst and fails if it shows a count of 1 to 4 people.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import streamlit as st

from dashboards.lib.auth import User
from dashboards.lib.i18n import t


@dataclass(frozen=True)
class Page:
    path: str  # relative to dashboards/
    name: str  # its title's key in the catalogue (dashboards.lib.i18n): nav.<name>
    icon: str | None
    section: str  # the key of its section's title: nav.section.<section>
    personal: bool = False  # shows person-level data: only for users who may look people up
    default: bool = False

    @property
    def title(self) -> str:
        """The page's title in the language of the run."""
        return t(f"nav.{self.name}")


PAGES = (
    Page("app_pages/overview.py", "overview", ":material/insights:", "amounts", default=True),
    Page("app_pages/cpas_explorer.py", "cpas_explorer", ":material/location_city:", "amounts"),
    Page("app_pages/finality.py", "finality", ":material/hourglass_bottom:", "amounts"),
    Page("app_pages/data_quality.py", "data_quality", ":material/rule:", "operations"),
    Page("app_pages/consultations.py", "consultations", ":material/manage_search:", "operations"),
    # personal: the parked notifications name people, and only SPP IS operates the delivery
    Page("app_pages/notifications.py", "notifications", ":material/notifications:", "operations", personal=True),
    # personal: what SPP IS sent to whom is for its own operators, not for partner institutions
    Page("app_pages/extracts.py", "extracts", ":material/outbox:", "operations", personal=True),
    Page("app_pages/person_lookup.py", "person_lookup", ":material/person_search:", "personal", personal=True),
)
SIGN_IN = Page("app_pages/login.py", "sign_in", ":material/login:", "")
NO_SNAPSHOT = Page("app_pages/no_snapshot.py", "no_snapshot", None, "")


def pages_for(user: User) -> list[Page]:
    """The pages ``user`` may open, in the order of the navigation."""
    return [page for page in PAGES if user.may_look_up_people or not page.personal]


def navigation(user: User) -> dict[str, list[st.Page]]:
    """The sections and pages of ``st.navigation`` for ``user``."""
    sections: dict[str, list[st.Page]] = {}
    for page in pages_for(user):
        sections.setdefault(t(f"nav.section.{page.section}"), []).append(
            st.Page(page.path, title=page.title, icon=page.icon, default=page.default)
        )
    return sections


def alone(page: Page) -> None:
    """Run ``page`` as the only one, with no menu (before sign-in, or before the first publication)."""
    st.navigation([st.Page(page.path, title=page.title, icon=page.icon)], position="hidden").run()


def sign_in_anywhere() -> None:
    """The sign-in page, with no menu, at the root and at the URL of every page: a reload or a link that names a
    page (``/finality``) asks the user to sign in there, rather than "page not found", and opens that page after."""
    pages = [st.Page(SIGN_IN.path, title=SIGN_IN.title, icon=SIGN_IN.icon, default=True)]
    pages += [
        st.Page(SIGN_IN.path, title=SIGN_IN.title, icon=SIGN_IN.icon, url_path=PurePosixPath(page.path).stem)
        for page in PAGES
        if not page.default  # the default page is the root URL, the sign-in's own
    ]
    st.navigation(pages, position="hidden").run()

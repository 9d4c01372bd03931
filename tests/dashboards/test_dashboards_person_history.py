"""The person lookup shows a person's whole history whatever the sidebar's filters, and says so plainly."""

from __future__ import annotations

from dashboards_fixture import ANALYST, MONTHS, PERSON


def test_the_lookup_shows_the_whole_history_outside_the_sidebar_period_and_says_so(signed_in) -> None:
    at = signed_in(ANALYST)
    at.select_slider(key="filter_period").set_value((MONTHS[0], MONTHS[0])).run()  # March 2025 only
    at.switch_page("app_pages/person_lookup.py").run()
    at.text_input(key="lookup_input").input(PERSON)
    next(b for b in at.button if b.label == "Look up").click().run()
    assert not at.exception, at.exception
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["Months as beneficiary"] == "2"  # March and April 2026, outside the period chosen
    assert "the sidebar's filters do not apply here" in at.caption[0].value
    assert any(
        c.value == "Whole history: March 2026 – April 2026, whatever the period chosen in the sidebar."
        for c in at.caption
    ), [c.value for c in at.caption]

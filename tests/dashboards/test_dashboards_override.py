"""The data-quality page shows the operator's decision when a snapshot was published although FINAL months moved
beyond the threshold (``lww refresh --accept-final-moves``), read from the snapshot's manifest."""

from __future__ import annotations

import json

from dashboards_fixture import ANALYST, PARTNER_ANALYST

from kernel import snapshots
from kernel.settings import settings

RECORD = {
    "by": "a.peeters",
    "reason": "SPP IS recalled the August file of one CPAS (ticket 4711)",
    "decided_at": "2026-04-04T07:12:00+00:00",
    "threshold_pct": 1.0,
    "months": [{"month": "2025-08-01", "previous_total": 21000.0, "new_total": 18000.0, "move_pct": 14.2857}],
    "run_id": "r-1",
}


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_the_data_quality_page_shows_who_accepted_final_moves_and_why(signed_in, home) -> None:
    published = settings(home).published
    current = snapshots.current(published)
    path = snapshots.manifest_path(published, current.refresh_id)
    path.write_text(json.dumps({**current.manifest, "final_moves_accepted": RECORD}), encoding="utf-8")
    for credentials in (ANALYST, PARTNER_ANALYST):
        at = signed_in(credentials)
        at.switch_page("app_pages/data_quality.py").run()
        assert not at.exception
        (shown,) = [w for w in _warnings(at) if "FINAL" in w]
        assert (
            "a.peeters" in shown and "ticket 4711" in shown and "2025-08 (14,29 %)" in shown and "beyond 1,0 %" in shown
        )


def test_no_decision_no_warning(signed_in) -> None:
    at = signed_in(ANALYST)
    at.switch_page("app_pages/data_quality.py").run()
    assert not at.exception
    assert not [w for w in _warnings(at) if "FINAL" in w]

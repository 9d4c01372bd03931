"""The operators' view of the extracts: what was released, when, for whom, and its control figures, read from
the manifest the extract writer keeps (here written by the real writer from its own small snapshots); for SPP
IS analysts only."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from dashboards_fixture import ANALYST, PARTNER_ANALYST

from kernel.settings import settings
from service.extracts import delivery
from tests.service.extracts.snapshots_for_tests import EXTRACT_GRANT, P1, SPF_FINANCES, TODAY, A, B, publish, right

PAGE = "app_pages/extracts.py"


def released_elsewhere(tmp_path: Path) -> Path:
    """Two finances files (one provisional) and one statuses file, released by the real writer; its manifest."""
    home = settings(tmp_path / "extracts-home").ensure()
    month = {
        "pcsa_cbe_number": P1,
        "allowance_type": "LIVING_WAGE",
        "household_category": 2,
        "finality_status": "FINAL",
    }
    publish(
        home.home,
        {
            "monthly_amounts": [
                {**month, "beneficiary_ssin": A, "month": m, "amount": "1314.20"}
                for m in (dt.date(2025, 3, 1), dt.date(2026, 1, 1))
            ],
            "yearly_amounts": [{**month, "beneficiary_ssin": A, "year": y, "amount": "1314.20"} for y in (2025, 2026)],
            "authorizations": [EXTRACT_GRANT],
            "rights": [right("a1", A, "2026-01-15", None), right("b1", B, "2026-02-01", "2026-02-10")],
        },
    )
    delivery.produce(home, "finances", "2025", today=TODAY)
    delivery.produce(home, "finances", "2026", provisional=True, today=TODAY)
    delivery.produce(home, "ssh", "2026-02")
    return home.extracts / "manifest.jsonl"


def test_analysts_see_each_released_file_its_recipient_and_control_figures(signed_in, home: Path, tmp_path) -> None:
    at = signed_in(ANALYST)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "No extract has been released yet" in at.info[0].value
    (home / "extracts").mkdir()
    shutil.copy(released_elsewhere(tmp_path), home / "extracts" / "manifest.jsonl")
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [s.value for s in at.subheader][:2] == ["SPF Finances (yearly)", "Harmonised social statuses (monthly)"]
    # each table's whole columns are in the expander under it
    finances, statuses = (f.value for f in at.dataframe if "Recipient CBE number" in f.value.columns)
    assert finances["Period"].tolist() == ["2026", "2025"]  # newest first
    assert finances["Provisional"].tolist() == [True, False]
    assert set(finances["Recipient CBE number"]) == {SPF_FINANCES}
    assert finances["Records"].tolist() == [1, 1] and finances["People"].tolist() == [1, 1]
    assert finances["Total living wage (EUR)"].tolist() == [1314.20, 1314.20]
    assert all(name.startswith("FO.LWEF.") for name in finances["File"])
    assert statuses["Period"].tolist() == ["2026-02"]
    assert statuses[["Records", "People", "New", "Changed", "Ended"]].values.tolist() == [[2, 2, 1, 0, 0]]
    assert statuses["Changes against"].tolist() == ["this snapshot"]
    metrics = {(m.label, m.value) for m in at.metric}
    assert ("Files released", "2") in metrics and ("Latest period", "2026-02") in metrics
    assert len(at.download_button) == len(at.dataframe) == 4


def test_partner_analysts_have_no_extracts_page(signed_in, home: Path) -> None:
    at = signed_in(PARTNER_ANALYST)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)

"""The periodic extracts released so far, for operators: read from the manifest the extract writer keeps
(``$LWW_HOME/extracts/manifest.jsonl``, one JSON line per released file), not from the snapshot. Cached by the
manifest's size and modification time, so a new release shows at the next rerun."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from kernel.settings import settings

KINDS = {"finances": "SPF Finances (yearly)", "ssh": "Harmonised social statuses (monthly)"}  # titles: i18n
THIS_SNAPSHOT = "this snapshot"  # what the statuses' changes are against when no file came before (the page words it)
ALLOWANCE_TOTALS = {
    "LIVING_WAGE": "total_living_wage",
    "EQUIVALENT_LIVING_WAGE": "total_equivalent_living_wage",
    "FAMILY_ALLOWANCE_ADVANCE": "total_family_allowance_advance",
}
COLUMNS = [
    "released_at",
    "period",
    "recipient",
    "recipient_cbe",
    "file",
    "provisional",
    "snapshot_id",
    "reference_date",
    "records",
    "people",
    *ALLOWANCE_TOTALS.values(),
    "new",
    "changed",
    "ended",
    "changes_against",
]


def manifest_path() -> Path:
    return settings().extracts / "manifest.jsonl"


def released() -> dict[str, pd.DataFrame]:
    """Per extract (``KINDS``), its released files, newest first, with their control figures."""
    path = manifest_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {kind: pd.DataFrame(columns=COLUMNS) for kind in KINDS}
    return _released(str(path), stat.st_size, stat.st_mtime_ns)


@st.cache_data(ttl=600, show_spinner=False)
def _released(path: str, size: int, mtime_ns: int) -> dict[str, pd.DataFrame]:
    rows: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a line torn by a crash while appending: the file was not released
            continue
        if entry.get("kind") not in rows:
            continue
        control = entry.get("control") or {}
        totals = control.get("totalAmount") or {}
        changes = entry.get("changes") or {}
        rows[entry["kind"]].append(
            {
                "released_at": pd.Timestamp(entry["released_at"]).tz_convert("UTC").tz_localize(None),
                "period": entry["period"],
                "recipient": entry.get("recipient_name"),
                "recipient_cbe": entry.get("recipient_cbe"),
                "file": entry.get("file"),
                "provisional": bool(entry.get("provisional")),
                "snapshot_id": entry.get("snapshot_id"),
                "reference_date": entry.get("reference_date"),
                "records": control.get("recordCount"),
                "people": control.get("distinctSsinCount"),
                **{column: _amount(totals.get(kind)) for kind, column in ALLOWANCE_TOTALS.items()},
                "new": changes.get("NEW"),
                "changed": changes.get("CHANGED"),
                "ended": changes.get("ENDED"),
                "changes_against": entry.get("previous_file") or (THIS_SNAPSHOT if entry["kind"] == "ssh" else None),
            }
        )
    frames = {}
    for kind, kind_rows in rows.items():
        frame = pd.DataFrame(kind_rows[::-1], columns=COLUMNS)  # the manifest is in release order
        # each extract shows its own columns: amounts for the finances, changes for the statuses
        unused = (
            ["new", "changed", "ended", "changes_against"]
            if kind == "finances"
            else [
                *ALLOWANCE_TOTALS.values(),
                "provisional",
            ]
        )
        frames[kind] = frame.drop(columns=unused).reset_index(drop=True)
    return frames


def _amount(text: str | None) -> float | None:
    return None if text is None else float(text)

"""Readable names for codes and columns: analysts read "Revenu d'intégration (RIS)", "Leefloon" or "Living
wage (RIS)", not LIVING_WAGE; in the language of the run (the texts are in ``dashboards.lib.i18n``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pandas as pd

from dashboards.lib.i18n import CATALOGUE, t
from kernel.codes import ALLOWANCE_TYPES, FINALITY_STATUSES, HOUSEHOLD_CATEGORY_LABELS, REGIONS, REJECTION_CODES


class Texts(Mapping[object, str]):
    """Codes to their labels in the language of the run (``dashboards.lib.i18n``), looked up when read."""

    def __init__(self, keys: Mapping[object, str], template: str = "{text}") -> None:
        self._keys = dict(keys)  # code -> catalogue key
        self._template = template

    def __getitem__(self, code: object) -> str:
        return self._template.format(code=code, text=t(self._keys[code]))

    def __iter__(self) -> Iterator[object]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


ALLOWANCE_LABELS = Texts({code: f"allowance.{code}" for code in ALLOWANCE_TYPES})
REGION_LABELS = Texts({code: f"region.{code}" for code in REGIONS})
FINALITY_LABELS = Texts({code: f"finality.{code}" for code in FINALITY_STATUSES})
CATEGORY_LABELS = Texts({code: f"category.{code}" for code in HOUSEHOLD_CATEGORY_LABELS}, "{code} {text}")
REJECTION_LABELS = Texts({code: f"rejection.{code}" for code in REJECTION_CODES})

# Why a typed SSIN is refused (kernel.identifiers.ssin_error's reasons, by their English text).
SSIN_PROBLEMS = Texts(
    {
        "an SSIN is exactly 11 digits": "lookup.problem.length",
        "the serial (digits 7-9) of an SSIN is never 000": "lookup.problem.serial",
        "SSIN check digits do not match (neither the before-2000 nor the from-2000 variant)": "lookup.problem.check",
    }
)

# Column titles used by every table and chart (the CSV keeps the same readable headers): the ``col.`` keys of
# the catalogue.
COLUMNS = Texts({key.removeprefix("col."): key for key in CATALOGUE if key.startswith("col.")})


def label_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace codes by their labels in the columns that hold codes (a copy)."""
    frame = frame.copy()
    mappings = {
        "allowance_type": ALLOWANCE_LABELS,
        "region": REGION_LABELS,
        "finality_status": FINALITY_LABELS,
        "household_category": CATEGORY_LABELS,
    }
    for column, mapping in mappings.items():
        if column in frame.columns:
            frame[column] = frame[column].map(lambda value, m=mapping: m.get(value, value))
    if "rejection_code" in frame.columns and "rejection_reason" not in frame.columns:
        position = frame.columns.get_loc("rejection_code") + 1
        frame.insert(position, "rejection_reason", frame["rejection_code"].map(REJECTION_LABELS.get))
    return frame


def title(column: str) -> str:
    return COLUMNS.get(column, column.replace("_", " ").capitalize())


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Labels for codes and for the column headers: what a table shows and its CSV holds."""
    return label_codes(frame).rename(columns=title)

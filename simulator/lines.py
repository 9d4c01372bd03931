"""A batch of payment lines as parallel numpy arrays (plus the identifiers as Arrow strings).

Payments are generated a benefit month at a time, replacements included, and pooled by acceptance month
until that month's files can be written.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

ALLOWANCES = ("LIVING_WAGE", "EQUIVALENT_LIVING_WAGE", "FAMILY_ALLOWANCE_ADVANCE")
FAMILY_ALLOWANCE_ADVANCE = 2


@dataclass
class Lines:
    person: np.ndarray  # int64 person index
    pcsa: np.ndarray  # int64 CPAS index
    partner: np.ndarray  # int64 person index, -1 for none
    allowance: np.ndarray  # int8 index into ALLOWANCES
    category: np.ndarray  # int8 household category
    begin: np.ndarray  # int64 day
    end: np.ndarray  # int64 day
    amount: np.ndarray  # int64 cents
    payment: np.ndarray  # int64 day
    acceptance: np.ndarray  # int64 day
    acceptance_month: np.ndarray  # int64 month index
    rejected: np.ndarray  # bool
    code: np.ndarray  # int8 index into the rejection codes (meaningful when rejected)
    step: np.ndarray  # int8: 0 for an original line, k for the k-th replacement of a chain
    line_id: pa.Array  # string
    replaces: pa.Array  # string, null for an original line

    @property
    def size(self) -> int:
        return self.person.size

    def take(self, index: np.ndarray) -> Lines:
        values = {}
        for f in fields(self):
            column = getattr(self, f.name)
            values[f.name] = column.take(pa.array(index)) if isinstance(column, pa.Array) else column[index]
        return Lines(**values)

    @staticmethod
    def concat(parts: list[Lines]) -> Lines:
        values = {}
        for f in fields(Lines):
            columns = [getattr(p, f.name) for p in parts]
            if isinstance(columns[0], pa.Array):
                values[f.name] = pa.concat_arrays([c.cast(pa.string()) for c in columns])
            else:
                values[f.name] = np.concatenate(columns)
        return Lines(**values)

"""Upstream files as Arrow tables in the raw-table layout, before they become XML or raw rows.

Both outputs (XML in the inbox, or rows straight into ``raw.*``) are made from these same tables, so the two
paths agree by construction: file ids, line numbers, every value.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kernel.raw_tables import PAYMENT_LINES, RIGHT_EVENTS
from simulator.days import month_date, months_of
from simulator.lines import ALLOWANCES, Lines
from simulator.payments import REJECTION_CODE_NAMES
from simulator.randomness import stream
from simulator.rights import EVENT_TYPES, Events
from simulator.spells import Spells

_ALLOWANCES = pa.array(ALLOWANCES)
_DECISIONS = pa.array(["ACCEPTED", "REJECTED"])
_CODES = pa.array(REJECTION_CODE_NAMES)
_EVENT_TYPES = pa.array(EVENT_TYPES)
_RIGHT_CATEGORIES = pa.array(ALLOWANCES[:2])


@dataclass(frozen=True)
class UpstreamFile:
    kind: str  # "payments" | "rights"
    file_id: str
    month: int  # acceptance (payments) or registration (rights) month index
    created_at: dt.datetime  # UTC
    table: pa.Table  # the raw-table layout (kernel.raw_tables)

    @property
    def file_name(self) -> str:
        return f"{self.file_id}.xml"

    @property
    def created_at_text(self) -> str:
        return self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Lookups:
    """Index -> string columns shared by every file: SSIN of each person, CBE number of each CPAS, right ids."""

    ssin: pa.Array
    cbe: pa.Array
    right_id: pa.Array


def created_at(seed: int, kind: str, month: int, part: int) -> dt.datetime:
    """The file of month M is produced in the first days of M+1 (rights one hour after payments)."""
    first = month_date(month + 1)
    day = 1 + int(stream(seed, "created-at", month).integers(0, 4))
    hour = 2 if kind == "payments" else 3
    return dt.datetime(first.year, first.month, day, hour, 0, 0) + dt.timedelta(minutes=part - 1)


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())


def _money(cents: np.ndarray) -> pa.Array:
    """Non-negative cents -> decimal128(12, 2) without going through Python Decimals."""
    words = np.zeros((cents.size, 2), dtype=np.int64)
    words[:, 0] = cents
    return pa.Array.from_buffers(pa.decimal128(12, 2), cents.size, [None, pa.py_buffer(words.tobytes())])


def _optional(index: np.ndarray, missing: np.ndarray) -> pa.Array:
    return pa.array(index, pa.int64(), mask=missing)


def _parts(size: int, limit: int) -> list[tuple[int, int]]:
    count = max(1, -(-size // limit))
    bounds = np.linspace(0, size, count + 1).astype(np.int64).tolist()
    return list(itertools.pairwise(bounds))


def payment_files(month: int, lines: Lines, lookups: Lookups, seed: int, limit: int) -> Iterator[UpstreamFile]:
    """The files of acceptance month ``month`` (several when over ``limit`` lines, split evenly)."""
    d = month_date(month)
    for part, (start, stop) in enumerate(_parts(lines.size, limit), start=1):
        chunk = lines.take(np.arange(start, stop))
        n = chunk.size
        file_id = f"PAY-{d:%Y-%m}-{part:03d}"
        columns = [
            pa.array([file_id] * n, pa.string()),
            pa.array(np.arange(1, n + 1, dtype=np.int32)),
            chunk.line_id,
            chunk.replaces,
            lookups.cbe.take(pa.array(chunk.pcsa)),
            lookups.ssin.take(pa.array(chunk.person)),
            lookups.ssin.take(_optional(chunk.partner, chunk.partner < 0)),
            _ALLOWANCES.take(pa.array(chunk.allowance)),
            pa.array(chunk.category.astype(np.int16)),
            _dates(chunk.begin),
            _dates(chunk.end),
            _money(chunk.amount),
            _dates(chunk.payment),
            _dates(chunk.acceptance),
            _DECISIONS.take(pa.array(chunk.rejected.astype(np.int8))),
            _CODES.take(_optional(chunk.code.astype(np.int64), ~chunk.rejected)),
        ]
        table = pa.Table.from_arrays(columns, schema=PAYMENT_LINES.arrow_schema)
        yield UpstreamFile("payments", file_id, month, created_at(seed, "payments", month, part), table)


def right_files(
    events: Events,
    population_spells: Spells,
    lookups: Lookups,
    first_month: int,
    last_month: int,
    seed: int,
    limit: int,
) -> Iterator[tuple[int, list[UpstreamFile]]]:
    """(registration month, its files) for each month of the window; the first also holds the initial load."""
    s = population_spells
    registration_month = np.maximum(months_of(events.registration), first_month)
    bounds = np.searchsorted(registration_month, np.arange(first_month, last_month + 2))
    for i, month in enumerate(range(first_month, last_month + 1)):
        chunk_all = events.take(np.arange(bounds[i], bounds[i + 1]))
        d = month_date(month)
        files = []
        for part, (start, stop) in enumerate(_parts(chunk_all.size, limit), start=1):
            chunk = chunk_all.take(np.arange(start, stop))
            n = chunk.size
            file_id = f"RIG-{d:%Y-%m}-{part:03d}"
            right = lookups.right_id.take(pa.array(chunk.spell))
            sequence = pa.array(chunk.sequence.astype(np.int32))
            event_id = pc.binary_join_element_wise(right, sequence.cast(pa.string()), "-")
            columns = [
                pa.array([file_id] * n, pa.string()),
                pa.array(np.arange(1, n + 1, dtype=np.int32)),
                event_id,
                right,
                sequence,
                _EVENT_TYPES.take(pa.array(chunk.event_type)),
                lookups.ssin.take(pa.array(s.person[chunk.spell])),
                lookups.cbe.take(pa.array(s.pcsa[chunk.spell])),
                _RIGHT_CATEGORIES.take(pa.array(s.allowance[chunk.spell])),
                pa.array(chunk.category.astype(np.int16)),
                _dates(chunk.begin),
                pa.array(chunk.end.astype(np.int32), pa.int32(), mask=chunk.end < 0).cast(pa.date32()),
                _dates(chunk.application),
                _dates(chunk.decision),
                _dates(chunk.registration),
                pa.array(s.subsidy[chunk.spell]),
            ]
            table = pa.Table.from_arrays(columns, schema=RIGHT_EVENTS.arrow_schema)
            files.append(UpstreamFile("rights", file_id, month, created_at(seed, "rights", month, part), table))
        yield month, files

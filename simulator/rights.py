"""Right events: CREATE, then MODIFY (category change, end of the right), or CANCEL.

Application on the first day of the right; the council decides within 30 days (about 5 % late); the right is
registered within 7 days of the decision (about 4 % late). Every event of a right is registered after the
previous one, so the events visible at any date are a contiguous prefix of ``sequence``. Rights registered
before the window are delivered in the first file (the initial load), when they still matter in the window.
Events registered after the window are not there yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.config import Resolved
from simulator.randomness import stream
from simulator.spells import NO_CHANGE, Population

EVENT_TYPES = ("CREATE", "MODIFY", "CANCEL")
CREATE, MODIFY, CANCEL = 0, 1, 2


@dataclass
class Events:
    spell: np.ndarray  # int64 spell index (the right)
    sequence: np.ndarray  # int64, 1..
    event_type: np.ndarray  # int8 index into EVENT_TYPES
    category: np.ndarray  # int8 household category
    begin: np.ndarray  # int64 day
    end: np.ndarray  # int64 day, -1 for an open-ended right
    application: np.ndarray
    decision: np.ndarray
    registration: np.ndarray

    def take(self, index: np.ndarray) -> Events:
        return Events(**{k: v[index] for k, v in self.__dict__.items()})

    @property
    def size(self) -> int:
        return self.spell.size


def _decided(rng: np.random.Generator, application: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = application.size
    late_decision = rng.random(n) < 0.05
    decision = application + np.where(late_decision, rng.integers(31, 76, n), rng.integers(1, 31, n))
    late_registration = rng.random(n) < 0.04
    registration = decision + np.where(late_registration, rng.integers(8, 41, n), rng.integers(0, 8, n))
    return decision, registration


def right_events(population: Population, config: Resolved) -> Events:
    """Every event of every right, sorted by registration day (then right, sequence); after the window dropped."""
    s = population.spells
    rng = stream(config.seed, "rights")
    n = s.size
    index = np.arange(n)
    created_end = np.where(s.fixed_term, s.end, -1)
    decision, registration = _decided(rng, s.begin)
    parts = [
        Events(
            spell=index,
            sequence=np.ones(n, dtype=np.int64),
            event_type=np.full(n, CREATE, dtype=np.int8),
            category=s.category_a.copy(),
            begin=s.begin,
            end=created_end,
            application=s.begin.copy(),
            decision=decision,
            registration=registration,
        )
    ]
    last_registration = registration.copy()
    sequence = np.ones(n, dtype=np.int64)

    def follow(mask: np.ndarray, kind: int, category: np.ndarray, end: np.ndarray, application: np.ndarray) -> None:
        picked = np.flatnonzero(mask)
        dec, reg = _decided(rng, application[picked])
        reg = np.maximum(reg, last_registration[picked] + 1)
        sequence[picked] += 1
        last_registration[picked] = reg
        parts.append(
            Events(
                spell=picked,
                sequence=sequence[picked].copy(),
                event_type=np.full(picked.size, kind, dtype=np.int8),
                category=category[picked],
                begin=s.begin[picked],
                end=end[picked],
                application=application[picked],
                decision=dec,
                registration=reg,
            )
        )

    # Cancelled rights: cancelled some days to two months after their registration.
    follow(s.cancelled, CANCEL, s.category_a, created_end, registration + rng.integers(3, 60, n))
    live = ~s.cancelled
    # A change of household category: the right is modified (period kept, new category).
    changed = live & (s.change != NO_CHANGE)
    follow(changed, MODIFY, s.category_b, created_end, np.where(changed, s.change, 0) - rng.integers(0, 10, n))
    # The end of an open-ended right: the period gets its end date.
    ending = live & ~s.fixed_term
    follow(ending, MODIFY, s.category_b, s.end, s.end - rng.integers(5, 20, n))

    events = Events(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in parts[0].__dict__})
    keep = events.registration <= population.horizon_end
    events = events.take(np.flatnonzero(keep))
    order = np.lexsort((events.sequence, events.spell, events.registration))
    return events.take(order)


def right_ids(population: Population, pcsa_nis: np.ndarray) -> pa.Array:
    """One identifier per spell: the CPAS' NIS code and a running number, e.g. ``R21004-000001234``."""
    s = population.spells
    nis = pa.array(pcsa_nis[s.pcsa].astype(str))
    numbers = pc.utf8_lpad(pc.cast(pa.array(np.arange(s.size, dtype=np.int64)), pa.string()), 9, "0")
    return pc.binary_join_element_wise("R", nis, "-", numbers, "")

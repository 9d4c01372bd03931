"""People: a pool of persons identified by valid, unique SSINs.

Both check-digit variants occur (people born before and from 2000), about 1 % are bis numbers (birth month
+20 when the sex is unknown, +40 when known), a few have an unknown birth date (month and day 00), and the
serial is never 000. Vectorised: millions of numbers in a second or two.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.days import to_day

_FROM_2000 = to_day(dt.date(2000, 1, 1))


def birth_days(first_spell_begin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A birth day for each person: 18 to 70 at the start of the first spell, many of them young."""
    young = rng.random(first_spell_begin.size) < 0.3
    years = np.where(
        young, rng.uniform(18.0, 25.0, first_spell_begin.size), rng.uniform(25.0, 70.0, first_spell_begin.size)
    )
    return first_spell_begin - (years * 365.25).astype(np.int64)


def ssins(births: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """One SSIN per birth day (11-digit strings, as an Arrow array), all distinct."""
    n = births.size
    as_dates = births.astype("datetime64[D]")
    years = as_dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = (as_dates.astype("datetime64[M]").astype(np.int64) % 12) + 1
    days = (as_dates - as_dates.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    from_2000 = births >= _FROM_2000
    male = rng.random(n) < 0.5
    kind = rng.random(n)
    unknown_date = kind < 0.003
    bis_unknown_sex = (kind >= 0.003) & (kind < 0.006)
    bis_known_sex = (kind >= 0.006) & (kind < 0.012)
    shown_month = months.copy()
    shown_day = days.copy()
    shown_month[unknown_date] = 0
    shown_day[unknown_date] = 0
    shown_month[bis_unknown_sex] += 20
    shown_month[bis_known_sex] += 40
    yymmdd = (years % 100) * 10_000 + shown_month * 100 + shown_day

    def draw(index: np.ndarray) -> np.ndarray:
        # serial 1..998: odd for men, even for women (never 000)
        half = rng.integers(0, 499, size=index.size)
        serial = np.where(male[index], 2 * half + 1, 2 * half + 2)
        base = yymmdd[index] * 1000 + serial
        checked = base + np.where(from_2000[index], 2_000_000_000, 0)
        return base * 100 + (97 - checked % 97)

    values = draw(np.arange(n))
    # Keep the first of equal numbers; draw again for the others until none clashes (few rounds, small sets).
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    repeated = np.zeros(n, dtype=bool)
    repeated[1:] = ordered[1:] == ordered[:-1]
    pending = np.sort(order[repeated])
    taken = ordered[~repeated]
    while pending.size:
        fresh = draw(pending)
        at = np.minimum(np.searchsorted(taken, fresh), taken.size - 1)
        clash = taken[at] == fresh
        _, first = np.unique(fresh, return_index=True)
        unique_here = np.zeros(fresh.size, dtype=bool)
        unique_here[first] = True
        accepted = ~clash & unique_here
        values[pending[accepted]] = fresh[accepted]
        taken = np.sort(np.concatenate([taken, fresh[accepted]]))
        pending = pending[~accepted]
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), 11, "0")

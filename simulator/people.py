"""People: a pool of persons identified by valid, unique SSINs.

Both check-digit variants occur (people born before and from 2000), about 1 % are bis numbers (birth month
+20 when the sex is unknown, +40 when known), a few have an unknown birth date (month and day 00), and the
serial is never 000. Vectorised: millions of numbers in a second or two.
"""

from __future__ import annotations

import numpy as np

from simulator.days import to_day

_FROM_2000 = to_day(__import__("datetime").date(2000, 1, 1))


def birth_days(first_spell_begin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A birth day for each person: 18 to 70 at the start of the first spell, many of them young."""
    young = rng.random(first_spell_begin.size) < 0.3
    years = np.where(
        young, rng.uniform(18.0, 25.0, first_spell_begin.size), rng.uniform(25.0, 70.0, first_spell_begin.size)
    )
    return first_spell_begin - (years * 365.25).astype(np.int64)


def ssins(births: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One SSIN per birth day (object array of 11-digit strings), all distinct."""
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
    values = np.zeros(n, dtype=np.int64)
    pending = np.arange(n)
    while pending.size:
        # serial 1..998: odd for men, even for women (never 000)
        half = rng.integers(0, 499, size=pending.size)
        serial = np.where(male[pending], 2 * half + 1, 2 * half + 2)
        base = yymmdd[pending] * 1000 + serial
        checked = base + np.where(from_2000[pending], 2_000_000_000, 0)
        values[pending] = base * 100 + (97 - checked % 97)
        _, first_index = np.unique(values, return_index=True)
        keep = np.zeros(n, dtype=bool)
        keep[first_index] = True
        pending = np.flatnonzero(~keep)
    return np.array([f"{v:011d}" for v in values.tolist()], dtype=object)

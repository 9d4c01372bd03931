"""Spells of aid: who is helped by which CPAS, from when to when, in which household situation.

A spell is the life of one right and of the payments behind it. Careers are built in rounds: a first spell
(people already helped when the window opens, drawn from the stationary distribution, then monthly
entrants), then some people move to another CPAS the next day, or come back after a gap. Cohabiting couples
are both beneficiaries (each the other's partner); some partners are not beneficiaries themselves. About one
spell in seven changes household category once (with or without a partner from then on). Some rights are
registered without a subsidy request, a few are cancelled: those have no payment lines.
All columns are numpy arrays, one element per spell.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from simulator.config import Resolved
from simulator.days import month_first_day, month_last_day
from simulator.people import birth_days, ssins
from simulator.randomness import stream

NO_CHANGE = np.iinfo(np.int64).max // 4  # a change day after every horizon
# Durations: a mixture of short and long spells (days), so exits are frequent but some stay for years.
SHORT_MEAN, LONG_MEAN, SHORT_WEIGHT = 180.0, 900.0, 0.6
P_MOVE, P_RETURN = 0.05, 0.12
P_CANCELLED, P_NO_SUBSIDY = 0.03, 0.04
P_EQUIVALENT = 0.12
P_CHANGE = 0.15
P_FIXED_TERM = 0.2
# How many spells with payments there are per base spell (couples, moves, returns): calibrates entrants.
ACTIVE_PER_BASE = 1.36
# Careers start this long before the window, so moves and returns are in their steady state when it opens
# (without it the caseload would creep up by 15 % over the first years).
WARMUP_DAYS = 6 * 365


@dataclass
class Spells:
    person: np.ndarray  # int64 index into People
    pcsa: np.ndarray  # int64 index into the selected CPAS
    begin: np.ndarray  # int64 day
    end: np.ndarray  # int64 day (may lie after the horizon: then still open)
    allowance: np.ndarray  # int8: 0 LIVING_WAGE, 1 EQUIVALENT_LIVING_WAGE
    category_a: np.ndarray  # int8 household category before the change day
    category_b: np.ndarray  # int8 from the change day
    change: np.ndarray  # int64 day of the category change, NO_CHANGE if none
    partner_a: np.ndarray  # int64 person index, -1 for none
    partner_b: np.ndarray
    advances: np.ndarray  # bool: the CPAS also advances family allowances
    subsidy: np.ndarray  # bool: subsidy requested (else the right has no payments)
    cancelled: np.ndarray  # bool: the right is cancelled after its creation (no payments)
    fixed_term: np.ndarray  # bool: the right is created with its end date

    @property
    def size(self) -> int:
        return self.person.size

    @property
    def paid(self) -> np.ndarray:
        return self.subsidy & ~self.cancelled

    def take(self, index: np.ndarray) -> Spells:
        return Spells(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Spells]) -> Spells:
        return Spells(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Spells)})


@dataclass
class People:
    ssin: pa.Array  # SSIN strings, indexed by person
    birth: np.ndarray  # int64 day
    spare_partners: np.ndarray  # person indexes of partners who are not beneficiaries, for corrections

    @property
    def size(self) -> int:
        return len(self.ssin)


@dataclass
class Population:
    spells: Spells
    people: People
    horizon_begin: int  # first day of the first benefit month
    horizon_end: int  # last day of the last file month


def _durations(rng: np.random.Generator, n: int) -> np.ndarray:
    long = rng.random(n) >= SHORT_WEIGHT
    mean = np.where(long, LONG_MEAN, SHORT_MEAN)
    return np.maximum(10, rng.exponential(mean)).astype(np.int64)


def _base_spells(config: Resolved, weights: np.ndarray, begin: int, end: int) -> tuple[np.ndarray, ...]:
    """(begin, end, pcsa) of the first spells: the stationary population at ``begin`` and daily entrants."""
    rng = stream(config.seed, "base-spells")
    mean_days = SHORT_WEIGHT * SHORT_MEAN + (1 - SHORT_WEIGHT) * LONG_MEAN
    rate = config.people / (mean_days * ACTIVE_PER_BASE)  # entrants a day
    begins, ends = [], []
    for weight, mean in ((SHORT_WEIGHT, SHORT_MEAN), (1 - SHORT_WEIGHT, LONG_MEAN)):
        count = rng.poisson(rate * weight * mean)
        begins.append(begin - rng.exponential(mean, count).astype(np.int64))
        ends.append(begin + rng.exponential(mean, count).astype(np.int64))
    count = rng.poisson(rate * (end - begin + 1))
    entrant_begin = rng.integers(begin, end + 1, count)
    begins.append(entrant_begin)
    ends.append(entrant_begin + _durations(rng, count) - 1)
    b, e = np.concatenate(begins), np.concatenate(ends)
    order = np.argsort(b, kind="stable")
    b, e = b[order], e[order]
    pcsa = rng.choice(weights.size, size=b.size, p=weights)
    return b, e, pcsa


def _continuations(
    rng: np.random.Generator, begin: np.ndarray, end: np.ndarray, pcsa: np.ndarray, n_pcsa: int, horizon_end: int
) -> tuple[np.ndarray, ...]:
    """(parent, begin, end, pcsa) of the next spells: a move the next day elsewhere, or a return after a gap."""
    u = rng.random(begin.size)
    move = (u < P_MOVE) & (n_pcsa > 1)
    back = (u >= P_MOVE) & (u < P_MOVE + P_RETURN)
    parent = np.flatnonzero((move | back) & (end < horizon_end))
    gap = np.where(move[parent], 1, rng.integers(60, 730, parent.size))
    new_begin = end[parent] + gap
    elsewhere = move[parent] | (rng.random(parent.size) < 0.2)
    shift = rng.integers(1, max(n_pcsa, 2), parent.size)
    new_pcsa = np.where(elsewhere & (n_pcsa > 1), (pcsa[parent] + shift) % max(n_pcsa, 1), pcsa[parent])
    new_end = new_begin + _durations(rng, parent.size) - 1
    keep = new_begin <= horizon_end
    return parent[keep], new_begin[keep], new_end[keep], new_pcsa[keep]


def build_population(config: Resolved, weights: np.ndarray) -> Population:
    horizon_begin = month_first_day(config.first_benefit_month)
    horizon_end = month_last_day(config.last_month)
    b, e, p = _base_spells(config, weights, horizon_begin - WARMUP_DAYS, horizon_end)
    rng = stream(config.seed, "careers")
    n_base = b.size
    person = np.arange(n_base, dtype=np.int64)
    parts_begin, parts_end, parts_pcsa, parts_person = [b], [e], [p], [person]
    round_begin, round_end, round_pcsa, round_person = b, e, p, person
    for _ in range(2):
        parent, nb, ne, np_ = _continuations(rng, round_begin, round_end, round_pcsa, weights.size, horizon_end)
        if not parent.size:
            break
        round_begin, round_end, round_pcsa, round_person = nb, ne, np_, round_person[parent]
        parts_begin.append(nb)
        parts_end.append(ne)
        parts_pcsa.append(np_)
        parts_person.append(round_person)
    begin = np.concatenate(parts_begin)
    end = np.concatenate(parts_end)
    pcsa = np.concatenate(parts_pcsa).astype(np.int64)
    person = np.concatenate(parts_person)
    # Only what touches the window matters: earlier spells are history before the feed started.
    relevant = (end >= horizon_begin) & (begin <= horizon_end)
    begin, end, pcsa, person = begin[relevant], end[relevant], pcsa[relevant], person[relevant]
    n = begin.size
    next_person = n_base

    rng = stream(config.seed, "households")
    allowance = (rng.random(n) < P_EQUIVALENT).astype(np.int8)
    category_a = rng.choice(np.array([1, 2, 3], dtype=np.int8), size=n, p=[0.3, 0.5, 0.2])
    u = rng.random(n)
    couple = (category_a == 1) & (u < 0.5)  # the partner is a beneficiary too
    outside_partner = ((category_a == 1) & (u >= 0.5) & (u < 0.8)) | ((category_a == 3) & (u < 0.35))
    partner_a = np.full(n, -1, dtype=np.int64)
    partner_a[outside_partner] = next_person + np.arange(outside_partner.sum())
    next_person += int(outside_partner.sum())

    change = np.full(n, NO_CHANGE, dtype=np.int64)
    long_enough = (end - begin) > 60
    changing = long_enough & ~couple & (rng.random(n) < P_CHANGE)
    change[changing] = (
        begin[changing] + 20 + (rng.random(changing.sum()) * (end - begin - 30)[changing]).astype(np.int64)
    )
    category_b = category_a.copy()
    step = rng.integers(1, 3, n).astype(np.int8)
    category_b[changing] = ((category_a[changing] - 1 + step[changing]) % 3 + 1).astype(np.int8)
    partner_b = partner_a.copy()
    partner_b[changing & (category_b == 2)] = -1
    gains = changing & (category_b != 2) & (partner_a < 0) & (rng.random(n) < 0.4)
    partner_b[gains] = next_person + np.arange(gains.sum())
    next_person += int(gains.sum())

    u = rng.random(n)
    subsidy = u >= P_NO_SUBSIDY
    cancelled = (u >= P_NO_SUBSIDY) & (u < P_NO_SUBSIDY + P_CANCELLED) & (begin >= horizon_begin)
    advances = ((category_a == 3) | (category_b == 3)) & (rng.random(n) < 0.7)
    fixed_term = rng.random(n) < P_FIXED_TERM

    spells = Spells(
        person=person,
        pcsa=pcsa,
        begin=begin,
        end=end,
        allowance=allowance,
        category_a=category_a,
        category_b=category_b,
        change=change,
        partner_a=partner_a,
        partner_b=partner_b,
        advances=advances,
        subsidy=subsidy,
        cancelled=cancelled,
        fixed_term=fixed_term,
    )
    # Couples: the partner gets the mirror spell (same CPAS, dates, cohabitant category, partner = the first).
    twins = spells.take(np.flatnonzero(couple))
    twin_person = next_person + np.arange(twins.size)
    next_person += twins.size
    spells.partner_a[couple] = twin_person
    spells.partner_b[couple] = twin_person
    twins.partner_a = spells.person[couple].copy()
    twins.partner_b = spells.person[couple].copy()
    twins.person = twin_person
    twins.advances = np.zeros(twins.size, dtype=bool)
    twins.fixed_term = spells.fixed_term[couple].copy()
    spells = Spells.concat([spells, twins])
    order = np.lexsort((spells.person, spells.begin))
    spells = spells.take(order)

    # Spare partners: people who are nobody's beneficiary, for corrections that change the partner.
    n_spare = max(10, n // 50)
    spare = next_person + np.arange(n_spare)
    next_person += n_spare

    # Birth days: from the first spell the person appears in (as beneficiary or partner).
    first_seen = np.full(next_person, horizon_begin, dtype=np.int64)
    for who in (spells.person, spells.partner_a, spells.partner_b):
        mask = who >= 0
        np.minimum.at(first_seen, who[mask], spells.begin[mask])
    people_rng = stream(config.seed, "people")
    births = birth_days(first_seen, people_rng)
    people = People(ssin=ssins(births, people_rng), birth=births, spare_partners=spare)
    return Population(spells=spells, people=people, horizon_begin=horizon_begin, horizon_end=horizon_end)

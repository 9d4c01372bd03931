"""Monthly payment lines and their later life: rejections, re-introductions, corrections, late revisions.

For each benefit month m, every spell with payments gets one line per household situation in the month (two
when the category changes mid-month), at the RIS scale of the month, pro rata for partial months; some
spells also get an advance on family allowances. SPP IS accepts them in month m+1 (a few % rejected with a
reason code). A rejected line is re-introduced 1 to 5 months later (a quarter never are); an accepted line is
sometimes corrected (amount, category, partner or aid type), and a correction sometimes corrected again
(chains of two or three); some corrections arrive 7 months or more after the benefit month (late revisions).
A replacement keeps the person, the CPAS and the period, is accepted in a later month than what it replaces,
and nothing is replaced twice.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kernel.codes import REJECTION_CODES
from kernel.scale import monthly_amount
from simulator.config import Resolved
from simulator.days import first_days_of, month_date, month_first_day, month_last_day
from simulator.lines import FAMILY_ALLOWANCE_ADVANCE, Lines
from simulator.randomness import stream
from simulator.spells import Population

REJECTION_CODE_NAMES = tuple(sorted(REJECTION_CODES))
P_REJECT, P_REJECT_AGAIN, P_REJECT_CORRECTION = 0.03, 0.15, 0.03
P_REINTRODUCE = 0.75
P_CORRECT_FIRST, P_CORRECT_AGAIN = 0.03, 0.25
P_LATE = 0.08
P_ADVANCE_MONTH = 0.8
MAX_STEPS = 3


def scale_cents(month: int) -> np.ndarray:
    """Full-month amounts in cents, indexed by household category (index 0 unused)."""
    day = month_date(month)
    return np.array([0] + [int(monthly_amount(day, c) * 100) for c in (1, 2, 3)], dtype=np.int64)


def pro_rata_cents(full: np.ndarray, begin: np.ndarray, end: np.ndarray, days_in_month: int) -> np.ndarray:
    """``kernel.scale.pro_rata`` in integer cents: round half up of full * days / days in month."""
    days = end - begin + 1
    return np.where(days >= days_in_month, full, (2 * full * days + days_in_month) // (2 * days_in_month))


def _ids(prefix: str, count: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(count, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, 7, "0"), "")


def _acceptance_in(months: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A working-looking day between the 8th and the 28th of each month."""
    return first_days_of(months) + rng.integers(7, 28, months.size)


def originals(population: Population, month: int, rng: np.random.Generator) -> Lines:
    s = population.spells
    first, last = month_first_day(month), month_last_day(month)
    days_in_month = last - first + 1
    active = np.flatnonzero(s.paid & (s.begin <= last) & (s.end >= first))
    begin = np.maximum(s.begin[active], first)
    end = np.minimum(s.end[active], last)
    change = s.change[active]
    # Situation before the change day, and from it (two lines when the change falls inside the month).
    a_end = np.minimum(end, change - 1)
    has_a = begin <= a_end
    b_begin = np.maximum(begin, change)
    has_b = b_begin <= end
    ia, ib = active[has_a], active[has_b]
    # Advances on family allowances, in the situation at the end of the month.
    advance = active[s.advances[active] & (rng.random(active.size) < P_ADVANCE_MONTH)]
    adv_begin = np.maximum(s.begin[advance], first)
    adv_end = np.minimum(s.end[advance], last)
    adv_after = s.change[advance] <= adv_end

    spell = np.concatenate([ia, ib, advance])
    begin_all = np.concatenate([begin[has_a], b_begin[has_b], adv_begin])
    end_all = np.concatenate([a_end[has_a], end[has_b], adv_end])
    category = np.concatenate(
        [s.category_a[ia], s.category_b[ib], np.where(adv_after, s.category_b[advance], s.category_a[advance])]
    ).astype(np.int8)
    partner = np.concatenate(
        [s.partner_a[ia], s.partner_b[ib], np.where(adv_after, s.partner_b[advance], s.partner_a[advance])]
    )
    allowance = np.concatenate(
        [s.allowance[ia], s.allowance[ib], np.full(advance.size, FAMILY_ALLOWANCE_ADVANCE, dtype=np.int8)]
    ).astype(np.int8)
    n = spell.size
    amount = pro_rata_cents(scale_cents(month)[category], begin_all, end_all, days_in_month)
    is_advance = allowance == FAMILY_ALLOWANCE_ADVANCE
    amount[is_advance] = rng.integers(8_000, 45_001, int(is_advance.sum()))
    # Paid at the start of the month (most) or just after it; accepted in the next month.
    late_paid = rng.random(n) < 0.15
    payment = np.where(late_paid, last + rng.integers(1, 6, n), first + rng.integers(0, 10, n))
    acceptance_month = np.full(n, month + 1, dtype=np.int64)
    acceptance = _acceptance_in(acceptance_month, rng)
    rejected = rng.random(n) < P_REJECT
    d = month_date(month)
    return Lines(
        person=s.person[spell],
        pcsa=s.pcsa[spell],
        partner=partner,
        allowance=allowance,
        category=category,
        begin=begin_all,
        end=end_all,
        amount=amount,
        payment=payment,
        acceptance=acceptance,
        acceptance_month=acceptance_month,
        rejected=rejected,
        code=rng.integers(0, len(REJECTION_CODE_NAMES), n).astype(np.int8),
        step=np.zeros(n, dtype=np.int8),
        line_id=_ids(f"L{d:%Y%m}0", n),
        replaces=pa.nulls(n, pa.string()),
    )


def replacements(parent: Lines, month: int, step: int, population: Population, rng: np.random.Generator) -> Lines:
    """The lines that replace some of ``parent`` (re-introductions of rejections, corrections of acceptances)."""
    u = rng.random(parent.size)
    p_correct = P_CORRECT_FIRST if step == 1 else P_CORRECT_AGAIN
    chosen = np.flatnonzero(np.where(parent.rejected, u < P_REINTRODUCE, u < p_correct))
    old = parent.take(chosen)
    n = chosen.size
    reintroduced = old.rejected
    late = rng.random(n) < P_LATE
    delay = np.where(reintroduced | ~late, rng.integers(1, 6, n), rng.integers(6, 13, n))
    new = old.take(np.arange(n))
    new.acceptance_month = old.acceptance_month + delay
    new.acceptance = _acceptance_in(new.acceptance_month, rng)
    new.payment = first_days_of(new.acceptance_month - 1) + rng.integers(0, 28, n)
    new.rejected = rng.random(n) < np.where(reintroduced, P_REJECT_AGAIN, P_REJECT_CORRECTION)
    new.code = rng.integers(0, len(REJECTION_CODE_NAMES), n).astype(np.int8)
    new.step = np.full(n, step, dtype=np.int8)
    d = month_date(month)
    new.line_id = _ids(f"L{d:%Y%m}{step}", n)
    new.replaces = old.line_id

    # Corrections: what changes.
    kind = rng.choice(4, size=n, p=[0.5, 0.2, 0.15, 0.15])
    corrected = ~reintroduced
    advance = old.allowance == FAMILY_ALLOWANCE_ADVANCE
    kind[advance] = 0
    full_days = month_last_day(month) - month_first_day(month) + 1
    scale = scale_cents(month)

    by_amount = corrected & (kind == 0)
    factor = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(0.5, 0.98, n))
    new.amount = np.where(by_amount, np.round(old.amount * factor).astype(np.int64), new.amount)

    by_category = corrected & (kind == 1)
    shifted = ((old.category - 1 + rng.integers(1, 3, n)) % 3 + 1).astype(np.int8)
    new.category = np.where(by_category, shifted, new.category).astype(np.int8)
    new.partner = np.where(by_category & (new.category == 2), -1, new.partner)

    by_partner = corrected & (kind == 2)
    spare = population.people.spare_partners
    other = spare[rng.integers(0, spare.size, n)]
    drop = (old.partner >= 0) & (rng.random(n) < 0.5)
    new.partner = np.where(by_partner, np.where(drop, -1, other), new.partner)
    new.category = np.where(by_partner & (new.partner >= 0) & (new.category == 2), 1, new.category).astype(np.int8)

    by_aid = corrected & (kind == 3)
    new.allowance = np.where(by_aid, 1 - old.allowance, new.allowance).astype(np.int8)

    rescale = by_category | by_partner
    recomputed = pro_rata_cents(scale[new.category], new.begin, new.end, full_days)
    new.amount = np.where(rescale, recomputed, new.amount)
    return new


def benefit_month(population: Population, config: Resolved, month: int) -> Lines:
    """Every line about benefit month ``month``, whatever its acceptance month."""
    rng = stream(config.seed, "payments", month)
    batches = [originals(population, month, rng)]
    for step in range(1, MAX_STEPS + 1):
        following = replacements(batches[-1], month, step, population, rng)
        if not following.size:
            break
        batches.append(following)
    return Lines.concat(batches)


def by_acceptance_month(population: Population, config: Resolved) -> Iterator[tuple[int, Lines]]:
    """(acceptance month, its lines in file order) for every file month of the window, in order.

    Benefit month m is generated before month m+1's files are due; replacements wait in a pool until their
    acceptance month comes. Lines accepted after the window are dropped (they have not happened yet).
    """
    pool: dict[int, list[Lines]] = {}
    for month in range(config.first_benefit_month, config.last_month):
        lines = benefit_month(population, config, month)
        order = np.argsort(lines.acceptance_month, kind="stable")
        lines = lines.take(order)
        months, starts = np.unique(lines.acceptance_month, return_index=True)
        bounds = [*starts.tolist(), lines.size]
        for i, due in enumerate(months.tolist()):
            if due <= config.last_month:
                pool.setdefault(due, []).append(lines.take(np.arange(bounds[i], bounds[i + 1])))
        due = month + 1
        parts = pool.pop(due, [])
        merged = Lines.concat(parts) if parts else None
        if merged is None:
            yield due, no_lines()
            continue
        order = np.lexsort((merged.step, merged.begin, merged.person, merged.pcsa))
        yield due, merged.take(order)


def no_lines() -> Lines:
    empty_i = np.zeros(0, dtype=np.int64)
    empty_b = np.zeros(0, dtype=np.int8)
    return Lines(
        person=empty_i,
        pcsa=empty_i,
        partner=empty_i,
        allowance=empty_b,
        category=empty_b,
        begin=empty_i,
        end=empty_i,
        amount=empty_i,
        payment=empty_i,
        acceptance=empty_i,
        acceptance_month=empty_i,
        rejected=np.zeros(0, dtype=bool),
        code=empty_b,
        step=empty_b,
        line_id=pa.array([], pa.string()),
        replaces=pa.array([], pa.string()),
    )

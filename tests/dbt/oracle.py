"""An independent oracle: DOMAIN.md's binding definitions for the amounts, written as plainly as possible in
Python (sets of days, dictionaries), with no code shared with the dbt models. The property test requires the
marts and this oracle to agree row for row, to the cent."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

RANK = {"PROVISIONAL": 1, "CONSOLIDATING": 2, "FINAL": 3}


def amounts_date(r: dt.date) -> dt.date:
    """A(R): walk back from R to the first day that is a Saturday among the first seven of its month."""
    day = r
    while not (day.weekday() == 5 and day.day <= 7):
        day -= dt.timedelta(days=1)
    return day


def cutoff(r: dt.date) -> dt.date:
    """The last day of the month before A(R)'s month."""
    return amounts_date(r).replace(day=1) - dt.timedelta(days=1)


def age(month: dt.date, r: dt.date) -> int:
    """Whole months from the first day of month+1 to r."""
    following = month.replace(day=28) + dt.timedelta(days=4)
    start = following.replace(day=1)
    months = (r.year - start.year) * 12 + r.month - start.month
    return months - 1 if r.day < start.day else months


def status(cell_age: int, open_rejection: bool) -> str:
    if cell_age < 3:
        return "PROVISIONAL"
    if cell_age < 6 and open_rejection:
        return "CONSOLIDATING"
    return "FINAL"


def days(begin: dt.date, end: dt.date) -> list[dt.date]:
    return [begin + dt.timedelta(days=n) for n in range((end - begin).days + 1)]


def periods(day_set: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Maximal runs of consecutive days."""
    runs: list[list[dt.date]] = []
    for day in sorted(day_set):
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


@dataclass
class Amounts:
    monthly: dict[tuple, tuple]
    yearly: dict[tuple, tuple]
    last_indemnified: dict[tuple[str, str], dt.date]


def compute(lines: list[dict[str, Any]], r: dt.date) -> Amounts:
    included = [line for line in lines if line["acceptance_date"] <= cutoff(r)]
    included_ids = {line["line_id"] for line in included}
    replaced = {line["replaces_line_id"] for line in included if line["replaces_line_id"] in included_ids}
    current = [line for line in included if line["line_id"] not in replaced]

    def month_of(line: dict) -> dt.date:
        return line["begin_date"].replace(day=1)

    # cells: (person, month, CPAS, allowance type)
    cell_lines: dict[tuple, list[dict]] = defaultdict(list)
    for line in current:
        cell_lines[(line["ssin"], month_of(line), line["pcsa_cbe_number"], line["allowance_type"])].append(line)
    cell_status = {
        cell: status(age(cell[1], amounts_date(r)), any(x["decision"] == "REJECTED" for x in group))
        for cell, group in cell_lines.items()
    }
    rejection_only = {cell for cell, group in cell_lines.items() if all(x["decision"] == "REJECTED" for x in group)}

    row_lines: dict[tuple, list[dict]] = defaultdict(list)
    for line in current:
        if line["decision"] == "ACCEPTED":
            key = (
                line["ssin"],
                month_of(line),
                line["pcsa_cbe_number"],
                line["allowance_type"],
                line["household_category"],
                line["partner_ssin"],
            )
            row_lines[key].append(line)

    last: dict[tuple[str, str], dt.date] = {}
    for key, group in row_lines.items():
        if sum(x["amount"] for x in group) > 0:
            for person, role in ((key[0], "BENEFICIARY"), (key[5], "PARTNER")):
                if person is not None:
                    last[(person, role)] = max(last.get((person, role), key[1]), key[1])

    monthly: dict[tuple, tuple] = {}
    day_sets: dict[tuple, set[dt.date]] = {}
    for key, group in row_lines.items():
        covered: set[dt.date] = set()
        for x in group:
            covered.update(days(x["begin_date"], x["end_date"]))
        day_sets[key] = covered
        month = key[1]
        whole = set(days(month, month.replace(day=calendar.monthrange(month.year, month.month)[1])))
        monthly[key] = (
            sum((x["amount"] for x in group), Decimal("0.00")),
            periods(covered),
            covered == whole,
            cell_status[key[:4]],
            last.get((key[0], "BENEFICIARY")) == month,
            len(group),
            sum((x["end_date"] - x["begin_date"]).days + 1 for x in group) > len(covered),
        )

    yearly_keys: dict[tuple, list[tuple]] = defaultdict(list)
    for key in monthly:
        yearly_keys[(key[0], key[1].year, *key[2:])].append(key)
    yearly: dict[tuple, tuple] = {}
    for ykey, months in yearly_keys.items():
        covered = set().union(*(day_sets[m] for m in months))
        whole = set(days(dt.date(ykey[1], 1, 1), dt.date(ykey[1], 12, 31)))
        ranks = [RANK[monthly[m][3]] for m in months]
        ranks += [RANK[cell_status[c]] for c in rejection_only if (c[0], c[1].year, c[2], c[3]) == ykey[:4]]
        least = min(ranks)
        yearly[ykey] = (
            sum((monthly[m][0] for m in months), Decimal("0.00")),
            periods(covered),
            covered == whole,
            next(name for name, rank in RANK.items() if rank == least),
            len(months),
        )
    return Amounts(monthly, yearly, last)

"""What to simulate: the window of upstream files, the size, the seed. Resolved once into plain integers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kernel.calendar import add_months, today_brussels
from kernel.errors import LwwError
from simulator.days import month_index

SCALES = {
    # scale: (CPAS, beneficiaries a month)
    "demo": (12, 400),
    "belgium": (565, 170_000),
}
TOTAL_PCSA = 565
FIRST_SUPPORTED = dt.date(2002, 1, 1)  # people born from 2000 need to exist, scales are defined from 2000
LAST_SUPPORTED = dt.date(2040, 12, 1)  # the synthetic scale table stops in 2040


@dataclass(frozen=True)
class SimulationConfig:
    """A request to simulate. ``None`` means the default of the scale.

    ``first_month``/``last_month`` are the months of the upstream files (acceptance months of the payments,
    registration months of the rights), as first days of month. The default window ends with the month before
    today (Europe/Brussels) and starts 24 months earlier.
    """

    seed: int = 1
    pcsa: int | None = None
    people: int | None = None
    first_month: dt.date | None = None
    last_month: dt.date | None = None
    scale: str = "demo"
    today: dt.date | None = None
    max_lines_per_file: int = 100_000

    def resolve(self) -> Resolved:
        if self.scale not in SCALES:
            raise LwwError(f"--scale {self.scale!r} is unknown: use one of {', '.join(SCALES)}")
        default_pcsa, default_people = SCALES[self.scale]
        pcsa = default_pcsa if self.pcsa is None else self.pcsa
        people = default_people if self.people is None else self.people
        if not 1 <= pcsa <= TOTAL_PCSA:
            raise LwwError(f"--pcsa {pcsa} is out of range: Belgium has 1 to {TOTAL_PCSA} CPAS")
        if not 10 <= people <= 1_000_000:
            raise LwwError(f"--people {people} is out of range: give 10 to 1000000 beneficiaries a month")
        if self.seed < 0:
            raise LwwError(f"--seed {self.seed} must be zero or positive")
        today = self.today or today_brussels()
        last = self.last_month or add_months(today, -1)
        first = self.first_month or add_months(last, -24)
        if first > last:
            raise LwwError(f"--from {first:%Y-%m} is after --to {last:%Y-%m}: give --from <= --to")
        if first < FIRST_SUPPORTED:
            raise LwwError(f"--from {first:%Y-%m} is too early: the simulation starts at {FIRST_SUPPORTED:%Y-%m}")
        if last > LAST_SUPPORTED:
            raise LwwError(f"--to {last:%Y-%m} is too late: the RIS scale table stops in {LAST_SUPPORTED:%Y}")
        if last >= today.replace(day=1):
            raise LwwError(
                f"--to {last:%Y-%m} is not a past month: upstream files exist only up to {add_months(today, -1):%Y-%m}"
            )
        if self.max_lines_per_file < 1:
            raise LwwError("max_lines_per_file must be at least 1")
        return Resolved(
            seed=self.seed,
            pcsa=pcsa,
            people=people,
            first_month=month_index(first),
            last_month=month_index(last),
            max_lines_per_file=self.max_lines_per_file,
        )


@dataclass(frozen=True)
class Resolved:
    """The concrete parameters: months as indexes (year * 12 + month - 1)."""

    seed: int
    pcsa: int
    people: int
    first_month: int  # first file month (acceptance / registration)
    last_month: int

    max_lines_per_file: int

    @property
    def first_benefit_month(self) -> int:
        """Lines accepted in the first file month concern the month before it."""
        return self.first_month - 1

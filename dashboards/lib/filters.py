"""The filters shared by every page (period, region, CPAS, allowance type) and the SQL they translate to."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from kernel.calendar import add_months


@dataclass(frozen=True)
class Filters:
    """The analyst's selection; empty tuples mean "all". Hashable, so it keys the query caches."""

    month_from: dt.date
    month_to: dt.date
    regions: tuple[str, ...] = ()
    pcsa: tuple[str, ...] = ()
    allowances: tuple[str, ...] = ()

    def shifted(self, months: int) -> Filters:
        """The same selection over a period moved by ``months`` (year-on-year comparisons)."""
        return dataclasses.replace(
            self, month_from=add_months(self.month_from, months), month_to=add_months(self.month_to, months)
        )

    def clause(
        self,
        *,
        month: str | None = "month",
        pcsa: str | None = "pcsa_cbe_number",
        region: str | None = None,
        allowance: str | None = "allowance_type",
        allowances_map: dict[str, str] | None = None,
    ) -> tuple[str, list[Any]]:
        """A WHERE condition (never empty: ``TRUE``) and its parameters, for the given column names.

        ``month`` may be any expression giving the first day of a month. Without a ``region`` column the region
        filter goes through ``dim_pcsa``. A ``None`` column means the table has no such dimension.
        """
        conditions: list[str] = []
        params: list[Any] = []
        if month is not None:
            conditions.append(f"{month} BETWEEN ? AND ?")
            params += [self.month_from, self.month_to]
        if self.regions:
            marks = _marks(self.regions)
            if region is not None:
                conditions.append(f"{region} IN ({marks})")
            elif pcsa is not None:
                conditions.append(f"{pcsa} IN (SELECT cbe_number FROM dim_pcsa WHERE region IN ({marks}))")
            params += list(self.regions)
        if self.pcsa and pcsa is not None:
            conditions.append(f"{pcsa} IN ({_marks(self.pcsa)})")
            params += list(self.pcsa)
        if self.allowances and allowance is not None:
            chosen = self.allowances
            if allowances_map is not None:  # e.g. rights only know LIVING_WAGE / EQUIVALENT_LIVING_WAGE
                chosen = tuple(allowances_map[a] for a in chosen if a in allowances_map) or ("",)
            conditions.append(f"{allowance} IN ({_marks(chosen)})")
            params += list(chosen)
        return (" AND ".join(conditions) or "TRUE"), params


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in values)

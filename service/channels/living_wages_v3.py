"""The SOAP channel of LivingWages V3 (the project's reconstruction, CONTRACT section 4.5): V2's answers, each
period row with its household category, decision date and last event, and ``dataFilters`` after ``status``
naming what the caller's authorisation withholds (``service.consult`` has already left it out of the rows)."""

from __future__ import annotations

import functools
from xml.sax.saxutils import escape

from service.channels.living_wages import LivingWagesChannel
from service.consult import Answer, RightRow


@functools.lru_cache(maxsize=65536)
def row_xml(row: RightRow) -> str:
    """One ``livingWagePeriod`` of the V3 type; an element withheld (None) is left out. Cached, as V2's periods
    are: the same rows (months, decisions, events) come back across requests."""
    parts = [
        f"<livingWagePeriod><beginDate>{row.begin.isoformat()}</beginDate><endDate>{row.end.isoformat()}</endDate>"
    ]
    if row.household_category is not None:
        parts.append(f"<householdCategory>{int(row.household_category)}</householdCategory>")
    if row.decision_date is not None:
        parts.append(f"<decisionDate>{row.decision_date.isoformat()}</decisionDate>")
    if row.last_event is not None:
        kind, registered = row.last_event
        parts.append(
            f"<lastEvent><type>{escape(kind)}</type><registrationDate>{registered.isoformat()}</registrationDate>"
            "</lastEvent>"
        )
    parts.append("</livingWagePeriod>")
    return "".join(parts)


class LivingWagesV3Channel(LivingWagesChannel):
    def write_answer(self, parts: list[str], operation: str, answer: Answer) -> None:
        if answer.withheld:
            parts.append("<dataFilters>")
            parts.extend(f"<filteredElement>{name}</filteredElement>" for name in answer.withheld)
            parts.append("</dataFilters>")
        if operation.startswith("getLivingWagePeriodsPerPCSA"):
            for (pcsa,), rows in answer.groups:
                parts.append("<livingWagePeriodsPerPCSA>")
                if pcsa is not None:
                    parts.append(f"<pcsaCbeNumber>{escape(pcsa)}</pcsaCbeNumber>")
                parts.extend(map(row_xml, rows))
                parts.append("</livingWagePeriodsPerPCSA>")
        elif operation == "getLivingWages":
            for (pcsa, category), rows in answer.groups:
                parts.append("<livingWages>")
                if pcsa is not None:
                    parts.append(f"<pcsaCbeNumber>{escape(pcsa)}</pcsaCbeNumber>")
                if category is not None:
                    parts.append(f"<category>{escape(category)}</category>")
                parts.extend(map(row_xml, rows))
                parts.append("</livingWages>")
        else:
            parts.extend(map(row_xml, answer.periods))

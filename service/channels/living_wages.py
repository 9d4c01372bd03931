"""The SOAP channel of LivingWages V2: rights periods, merged, whole or per CPAS (and category)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from service.channels.soap import SoapChannel, period_xml
from service.consult import Answer


class LivingWagesChannel(SoapChannel):
    def write_answer(self, parts: list[str], operation: str, answer: Answer) -> None:
        if operation.startswith("getLivingWagePeriodsPerPCSA"):
            for (pcsa,), spans in answer.groups:
                parts.append(f"<livingWagePeriodsPerPCSA><pcsaCbeNumber>{escape(pcsa)}</pcsaCbeNumber>")
                parts.extend(period_xml("livingWagePeriod", span) for span in spans)
                parts.append("</livingWagePeriodsPerPCSA>")
        elif operation == "getLivingWages":
            for (pcsa, category), spans in answer.groups:
                parts.append(f"<livingWages><pcsaCbeNumber>{escape(pcsa)}</pcsaCbeNumber>")
                parts.append(f"<category>{escape(category)}</category>")
                parts.extend(period_xml("livingWagePeriod", span) for span in spans)
                parts.append("</livingWages>")
        else:
            parts.extend(period_xml("livingWagePeriod", span) for span in answer.periods)

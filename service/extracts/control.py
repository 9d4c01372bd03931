"""The control block: {recordCount, distinctSsinCount, totalAmount per allowanceType}.

Three sets of figures must agree before a file is released (:func:`verify`): the block the writer put at the
end of the file (what it counted while writing), the records actually in the file (read back, streamed, and
checked against the project's XSD as they are read: a file that breaks it is not released either), and
the marts' own figures, computed by each extract's ``control_figures`` with SQL of its own (another table or
another method than the records' query), so a wrong join or a lost batch cannot agree with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from kernel.xsd import compile_schema
from service.extracts.xmlout import NAMESPACE, XSD

_NS = f"{{{NAMESPACE}}}"


@dataclass
class Figures:
    record_count: int = 0
    distinct_ssin_count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # allowanceType -> amount (none for the SSH)

    def as_dict(self) -> dict[str, Any]:
        return {
            "recordCount": self.record_count,
            "distinctSsinCount": self.distinct_ssin_count,
            "totalAmount": {k: f"{v:.2f}" for k, v in sorted(self.totals.items())},
        }


class Counter:
    """Counts records as the writer writes them."""

    def __init__(self) -> None:
        self.records = 0
        self.ssins: set[str] = set()
        self.totals: dict[str, Decimal] = {}

    def add(self, ssin: str, allowance_type: str | None = None, amount: Decimal | None = None) -> None:
        self.records += 1
        self.ssins.add(ssin)
        if allowance_type is not None and amount is not None:
            self.totals[allowance_type] = self.totals.get(allowance_type, Decimal("0.00")) + amount

    def figures(self) -> Figures:
        return Figures(self.records, len(self.ssins), dict(self.totals))


@dataclass(frozen=True)
class Comparison:
    passed: bool
    in_block: Figures
    in_records: Figures
    in_marts: Figures
    mismatches: tuple[str, ...]

    def metadata(self) -> dict[str, Any]:
        return {
            "file_control_block": self.in_block.as_dict(),
            "file_records": self.in_records.as_dict(),
            "marts": self.in_marts.as_dict(),
            "mismatches": list(self.mismatches),
        }


class InvalidFile(ValueError):
    """The file breaks the project's XSD (the message names the line)."""


@cache
def schema() -> etree.XMLSchema:
    return compile_schema(etree.parse(str(XSD)))


def read_back(path: Path, record: str, amount: str | None) -> tuple[Figures, Figures]:
    """(the control block, the figures of the records) of an extract file, streamed (memory flat but for the set
    of SSINs) and validated against the project's XSD as it is read: :class:`InvalidFile` names the line."""
    counter, block = Counter(), Figures()
    amount_tag = _NS + amount if amount else None
    try:
        for _, element in etree.iterparse(
            str(path), events=("end",), tag=(_NS + record, _NS + "control"), schema=schema()
        ):
            if element.tag == _NS + record:
                ssin = element[0].text  # valid, so in the XSD's order: ssin, then (finances) allowanceType
                if amount_tag is None:
                    counter.add(ssin)
                else:
                    counter.add(ssin, element[1].text, Decimal(element.findtext(amount_tag)))
            else:
                block = Figures(
                    int(element.findtext(_NS + "recordCount")),
                    int(element.findtext(_NS + "distinctSsinCount")),
                    {t.get("allowanceType"): Decimal(t.text) for t in element.iterfind(_NS + "totalAmount")},
                )
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        raise InvalidFile(_first_error(path, error)) from None
    return block, counter.figures()


def _first_error(path: Path, error: etree.XMLSyntaxError) -> str:
    """The first error of an invalid file with its line: the streaming validation does not give the line, so
    the file is validated again, whole (a file that is not well-formed has its line already)."""
    if error.lineno:
        return f"{path.name}, line {error.lineno}: {error.msg}"
    validator = schema()
    validator.validate(etree.parse(str(path)))
    first = validator.error_log[0] if len(validator.error_log) else None
    return f"{path.name}, line {first.line}: {first.message}" if first else f"{path.name}: {error.msg}"


def compare(block: Figures, records: Figures, marts: Figures) -> Comparison:
    mismatches = []
    for label, figures in (("control block", block), ("records", records)):
        if figures.record_count != marts.record_count:
            mismatches.append(f"{label} recordCount {figures.record_count} != marts {marts.record_count}")
        if figures.distinct_ssin_count != marts.distinct_ssin_count:
            mismatches.append(
                f"{label} distinctSsinCount {figures.distinct_ssin_count} != marts {marts.distinct_ssin_count}"
            )
        for allowance in sorted(set(figures.totals) | set(marts.totals)):
            got, want = figures.totals.get(allowance), marts.totals.get(allowance)
            if got != want:
                mismatches.append(f"{label} totalAmount {allowance} {got} != marts {want}")
    return Comparison(not mismatches, block, records, marts, tuple(mismatches))

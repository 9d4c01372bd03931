"""What is wrong with an upstream file, said so that an operator can fix it.

A file is atomic: one violation quarantines it whole. Every check collects :class:`Violation` rows (capped) so
the reason file lists all that was found, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_VIOLATIONS = 100  # reported per file; the count says how many more there were


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (element position and XML line), which field, which value, which rule, what to do."""

    rule: str
    message: str
    field: str | None = None
    value: str | None = None
    line_no: int | None = None  # 1-based position of the <line>/<event> element in the file
    source_line: int | None = None  # line of the XML file where that element starts
    hint: str = ""

    def describe(self) -> str:
        where = []
        if self.source_line is not None:
            where.append(f"XML line {self.source_line}")
        if self.line_no is not None:
            where.append(f"element #{self.line_no}")
        if self.field:
            where.append(f"field {self.field}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        head = ", ".join(where) or "file"
        text = f"{head}: {self.message} [{self.rule}]"
        return f"{text}\n    what to do: {self.hint}" if self.hint else text


@dataclass
class FileRejected(Exception):
    """Raised when an upstream file must be quarantined; carries every violation found (capped)."""

    category: str  # 'hostile' | 'malformed' | 'schema' | 'business' | 'conflict'
    violations: list[Violation] = field(default_factory=list)
    total: int | None = None  # how many violations exist when more than were kept

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.violations)

    def summary(self) -> str:
        first = self.violations[0].describe().splitlines()[0] if self.violations else "rejected"
        more = f" (and {self.count - 1} more)" if self.count > 1 else ""
        return f"{self.category}: {first}{more}"

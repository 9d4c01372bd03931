"""Business rules of DOMAIN.md / CONTRACT §2, checked vectorised over a staged file joined to what is loaded.

The staged file is a temporary DuckDB view (``ingest_stage``) over the file's Parquet spool (the raw columns
plus ``source_line``): never copied, never committed. The loaded rows any rule of the kind may look at (same
ids, replaced ids, same rights) are found by one scan per file into a temporary table (``ingest_loaded``). Every
rule is one query returning the offending elements;
identifiers (SSIN check digits) are checked with python-stdnum through :mod:`kernel.identifiers` while the file is
read, on the distinct values of each batch, and the valid ones are remembered across the files of a run by the
reader's :class:`ValidSsins` (a person recurs every month).

Memory stays flat whatever the file size: the loader runs these queries under a small DuckDB ``memory_limit``
(sorts, windows and hash tables spill to disk beyond it), and no query builds a hash table over a loaded table,
whose size only grows: the loaded side is always the probe side, filtered by the staged keys first (a
``NOT IN`` over ``raw.payment_lines`` itself could not spill, and ran out of memory under the limit).

Loops in replacement chains: a ``replacesLineId`` must name a line already loaded or *earlier* in the same file,
and a loaded line never points to a later one, so a chain can only loop on itself (a line replacing itself);
loops through a duplicated ``lineId`` are refused as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.violations import MAX_VIOLATIONS, FileRejected, Violation
from kernel.identifiers import ssin_error

STAGE = "ingest_stage"  # the staged file: a temporary view created and dropped inside the file's transaction
# The loaded rows the rules of a kind may look at, found by one scan of the loaded table per file (each rule scanning
# the whole loaded table for its own keys cost seconds a file at 15 years: bench/README.md) and kept in a temporary
# table for the file's rules.
LOADED = "ingest_loaded"
_PAYMENT_COLUMNS = "line_id, replaces_line_id, ssin, pcsa_cbe_number, acceptance_date"
_EVENT_COLUMNS = "event_id, right_id, sequence, event_type, ssin, pcsa_cbe_number, file_id"
# Payments: two semi-joins, one statement each (the second adds what the first did not find): an OR of the two read
# every column of every loaded line, and the two in one UNION built both hash tables of staged keys at once, which ran
# out of the ingest's memory limit from the second Belgian-scale file on. A NULL key matches nothing: left out.
LOADED_ROWS = {
    "payments": (
        f"SELECT {_PAYMENT_COLUMNS} FROM raw.payment_lines WHERE line_id IN "
        "(SELECT line_id FROM ingest_stage UNION ALL "
        " SELECT replaces_line_id FROM ingest_stage WHERE replaces_line_id IS NOT NULL)",
        f"SELECT {_PAYMENT_COLUMNS} FROM raw.payment_lines WHERE replaces_line_id IN "
        "(SELECT replaces_line_id FROM ingest_stage WHERE replaces_line_id IS NOT NULL)",
    ),
    "rights": (  # a few million events: here the OR is the faster
        f"SELECT {_EVENT_COLUMNS} FROM raw.right_events "
        "WHERE event_id IN (SELECT event_id FROM ingest_stage) OR right_id IN (SELECT right_id FROM ingest_stage)",
    ),
}
_VALID_SSINS_MAX = 2_000_000  # about 120 MB at most; cleared when full (only a cache)


@dataclass(frozen=True)
class Rule:
    name: str
    field: str
    message: str
    hint: str
    sql: str  # selects line_no, source_line, value from the offending staged elements


class ValidSsins:
    """The valid SSINs one reader has seen, so that python-stdnum runs once per person, not once per line (a
    person recurs every month). Owned by the :class:`ingest.reader.Reader` of a run (one in the writer, one in each
    parse process), so it lives as long as the run and starts cold with the next; invalid values are rare and not
    kept. Bounded: emptied when full (only a cache)."""

    def __init__(self, most: int = _VALID_SSINS_MAX) -> None:
        self.most = most
        self.known: set[int] = set()  # as integers: ~60 bytes each, a third of a str key
        self.sorted = np.empty(0, np.int64)  # the same, sorted, for a vectorised look-up of a batch (8 bytes each)
        self.new: list[int] = []  # validated since ``sorted`` was last brought up to date

    def error(self, value: str) -> str | None:
        """:func:`kernel.identifiers.ssin_error`, remembering the valid values."""
        ascii_digits = len(value) == 11 and value.isascii() and value.isdigit()
        if ascii_digits and int(value) in self.known:
            return None
        why = ssin_error(value)
        if why is None and ascii_digits:
            if len(self.known) >= self.most:
                self.forget()
            self.known.add(int(value))
            self.new.append(int(value))
        return why

    def forget(self) -> None:
        self.known.clear()
        self.new.clear()
        self.sorted = np.empty(0, np.int64)

    def unseen(self, values: pa.Array) -> list[str]:
        """The distinct values of a batch's column not known to be valid (a vectorised look-up in the sorted copy:
        a batch of 50,000 lines holds some 40,000 people, nearly all known after the first month)."""
        values = pc.unique(values.drop_null())
        digits = pc.match_substring_regex(values, r"^[0-9]{11}$")
        candidates = values.filter(digits)
        numbers = pc.cast(candidates, pa.int64()).to_numpy()
        known = self.sorted
        at = np.minimum(np.searchsorted(known, numbers), max(len(known) - 1, 0))
        found = (known[at] == numbers) if len(known) else np.zeros(len(numbers), bool)
        return values.filter(pc.invert(digits)).to_pylist() + candidates.filter(pa.array(~found)).to_pylist()

    def settle(self) -> None:
        """Merge the values validated since the last batch into the sorted copy (an insertion, not a new sort)."""
        if self.new:
            new = np.unique(np.array(self.new, np.int64))
            self.new.clear()
            new = new[~np.isin(new, self.sorted)]
            self.sorted = np.insert(self.sorted, np.searchsorted(self.sorted, new), new)


# The events of the staged file's rights: its own (line_no set) and those already loaded (line_no NULL, file_id
# set). Events of one right may arrive in any order of files (a MODIFY or CANCEL before its CREATE waits for it,
# DOMAIN "Rights: binding details"), so every rule below compares a staged event with all the others of its right.
_RIGHT_EVENTS = """
    WITH events AS (
        SELECT right_id, sequence, event_type, ssin, pcsa_cbe_number, line_no, NULL AS file_id FROM ingest_stage
        UNION ALL
        SELECT r.right_id, r.sequence, r.event_type, r.ssin, r.pcsa_cbe_number, NULL AS line_no, r.file_id
        FROM ingest_loaded r WHERE r.right_id IN (SELECT right_id FROM ingest_stage)
    )
"""


def _keeps(column: str) -> str:
    """A staged event whose ``column`` differs from a loaded event of its right, or from one earlier in sequence
    in the file: the value it was, then the value it becomes."""
    return (
        _RIGHT_EVENTS + f"SELECT s.line_no, s.source_line, arg_min(e.{column}, e.sequence) || ' -> ' || s.{column} "
        "FROM ingest_stage s JOIN events e ON e.right_id = s.right_id "
        f"AND (e.line_no IS NULL OR e.sequence < s.sequence) AND e.{column} <> s.{column} "
        f"GROUP BY s.line_no, s.source_line, s.{column}"
    )


_TARGETS = """
    WITH targets AS (
        SELECT p.line_id, p.ssin, p.pcsa_cbe_number, p.acceptance_date, 0 AS line_no
        FROM ingest_loaded p WHERE p.line_id IN (SELECT replaces_line_id FROM ingest_stage)
        UNION ALL
        SELECT line_id, ssin, pcsa_cbe_number, acceptance_date, line_no FROM ingest_stage
        WHERE line_id IN (SELECT replaces_line_id FROM ingest_stage)
    )
"""

_FIX = "correct the file at the producer and drop it again, or fix it in quarantine and replay it"

# Both upstreams carry a period and a CPAS: one rule each, shared (rights' endDate may be NULL: then the comparison
# is not true).
_PERIOD_ORDER = Rule(
    "period-order",
    "period/endDate",
    "the period ends before it begins",
    _FIX,
    "SELECT line_no, source_line, begin_date || ' .. ' || end_date FROM ingest_stage WHERE end_date < begin_date",
)

_UNKNOWN_PCSA = Rule(
    "unknown-pcsa",
    "pcsaCbeNumber",
    "no CPAS with this CBE number in reference/pcsa.csv",
    "check the CBE number, or add the CPAS to reference/pcsa.csv first",
    "SELECT line_no, source_line, pcsa_cbe_number FROM ingest_stage "
    "WHERE pcsa_cbe_number NOT IN (SELECT cbe_number FROM raw.ref_pcsa)",
)

PAYMENT_RULES = (
    _PERIOD_ORDER,
    Rule(
        "period-one-month",
        "period",
        "the period spans more than one calendar month (one line per month)",
        _FIX,
        "SELECT line_no, source_line, begin_date || ' .. ' || end_date FROM ingest_stage "
        "WHERE end_date >= begin_date AND date_trunc('month', begin_date) <> date_trunc('month', end_date)",
    ),
    Rule(
        "rejection-code-missing",
        "rejectionCode",
        "a REJECTED line must carry a rejectionCode",
        _FIX,
        "SELECT line_no, source_line, decision FROM ingest_stage "
        "WHERE decision = 'REJECTED' AND rejection_code IS NULL",
    ),
    Rule(
        "rejection-code-unexpected",
        "rejectionCode",
        "an ACCEPTED line must not carry a rejectionCode",
        _FIX,
        "SELECT line_no, source_line, rejection_code FROM ingest_stage "
        "WHERE decision = 'ACCEPTED' AND rejection_code IS NOT NULL",
    ),
    _UNKNOWN_PCSA,
    Rule(
        "amount-negative",
        "amount",
        "an amount is never negative",
        _FIX,
        "SELECT line_no, source_line, CAST(amount AS VARCHAR) FROM ingest_stage WHERE amount < 0",
    ),
    Rule(
        "partner-is-beneficiary",
        "partnerSsin",
        "the partner is the beneficiary himself",
        _FIX,
        "SELECT line_no, source_line, partner_ssin FROM ingest_stage WHERE partner_ssin = ssin",
    ),
    Rule(
        "duplicate-line-id",
        "lineId",
        "lineId appears more than once in this file",
        _FIX,
        "SELECT line_no, source_line, line_id FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY line_id ORDER BY line_no) AS n FROM ingest_stage) WHERE n > 1",
    ),
    Rule(
        "line-id-already-loaded",
        "lineId",
        "lineId was already loaded from another file (ids are unique forever)",
        "a correction is a new line with its own lineId and replacesLineId",
        "SELECT s.line_no, s.source_line, s.line_id FROM ingest_stage s "
        "WHERE s.line_id IN (SELECT p.line_id FROM ingest_loaded p "
        "                    WHERE p.line_id IN (SELECT line_id FROM ingest_stage))",
    ),
    Rule(
        "replacement-loop",
        "replacesLineId",
        "the line replaces itself (a loop)",
        _FIX,
        "SELECT line_no, source_line, replaces_line_id FROM ingest_stage WHERE replaces_line_id = line_id",
    ),
    Rule(
        "replaces-unknown-line",
        "replacesLineId",
        "replacesLineId names no line already loaded nor earlier in this file",
        _FIX,
        "WITH known AS (SELECT p.line_id FROM ingest_loaded p "
        "               WHERE p.line_id IN (SELECT replaces_line_id FROM ingest_stage)) "
        "SELECT s.line_no, s.source_line, s.replaces_line_id FROM ingest_stage s "
        "WHERE s.replaces_line_id IS NOT NULL AND s.replaces_line_id <> s.line_id "
        "AND s.replaces_line_id NOT IN (SELECT line_id FROM known) "
        "AND NOT EXISTS (SELECT 1 FROM ingest_stage e WHERE e.line_id = s.replaces_line_id AND e.line_no < s.line_no)",
    ),
    Rule(
        "replaced-twice-in-file",
        "replacesLineId",
        "another line of this file already replaces the same line",
        _FIX,
        "SELECT line_no, source_line, replaces_line_id FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY replaces_line_id ORDER BY line_no) AS n FROM ingest_stage"
        "  WHERE replaces_line_id IS NOT NULL) WHERE n > 1",
    ),
    Rule(
        "already-replaced",
        "replacesLineId",
        "that line was already replaced by a loaded line",
        _FIX,
        "SELECT s.line_no, s.source_line, s.replaces_line_id FROM ingest_stage s "
        "WHERE s.replaces_line_id IN (SELECT p.replaces_line_id FROM ingest_loaded p "
        "                             WHERE p.replaces_line_id IN (SELECT replaces_line_id FROM ingest_stage))",
    ),
    Rule(
        "replacement-changes-person",
        "ssin",
        "a replacement must keep the person of the line it replaces",
        _FIX,
        _TARGETS + "SELECT s.line_no, s.source_line, t.ssin || ' -> ' || s.ssin FROM ingest_stage s "
        "JOIN targets t ON t.line_id = s.replaces_line_id AND t.line_no < s.line_no WHERE t.ssin <> s.ssin",
    ),
    Rule(
        "replacement-changes-pcsa",
        "pcsaCbeNumber",
        "a replacement must keep the CPAS of the line it replaces",
        _FIX,
        _TARGETS + "SELECT s.line_no, s.source_line, t.pcsa_cbe_number || ' -> ' || s.pcsa_cbe_number "
        "FROM ingest_stage s JOIN targets t ON t.line_id = s.replaces_line_id AND t.line_no < s.line_no "
        "WHERE t.pcsa_cbe_number <> s.pcsa_cbe_number",
    ),
    Rule(
        "replacement-accepted-before",
        "acceptanceDate",
        "a replacement cannot be decided before the line it replaces",
        _FIX,
        _TARGETS + "SELECT s.line_no, s.source_line, t.acceptance_date || ' -> ' || s.acceptance_date "
        "FROM ingest_stage s JOIN targets t ON t.line_id = s.replaces_line_id AND t.line_no < s.line_no "
        "WHERE s.acceptance_date < t.acceptance_date",
    ),
)

RIGHT_RULES = (
    Rule(
        "application-after-decision",
        "decisionDate",
        "the decision precedes the application",
        _FIX,
        "SELECT line_no, source_line, application_date || ' > ' || decision_date FROM ingest_stage "
        "WHERE application_date > decision_date",
    ),
    Rule(
        "decision-after-registration",
        "registrationDate",
        "the registration precedes the decision",
        _FIX,
        "SELECT line_no, source_line, decision_date || ' > ' || registration_date FROM ingest_stage "
        "WHERE decision_date > registration_date",
    ),
    _PERIOD_ORDER,
    Rule(
        "duplicate-event-id",
        "eventId",
        "eventId appears more than once in this file",
        _FIX,
        "SELECT line_no, source_line, event_id FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY line_no) AS n FROM ingest_stage) WHERE n > 1",
    ),
    Rule(
        "event-id-already-loaded",
        "eventId",
        "eventId was already loaded from another file",
        _FIX,
        "SELECT line_no, source_line, event_id FROM ingest_stage "
        "WHERE event_id IN (SELECT r.event_id FROM ingest_loaded r "
        "                   WHERE r.event_id IN (SELECT event_id FROM ingest_stage))",
    ),
    Rule(
        "duplicate-sequence",
        "sequence",
        "(rightId, sequence) appears more than once in this file",
        _FIX,
        "SELECT line_no, source_line, right_id || '#' || sequence FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY right_id, sequence ORDER BY line_no) AS n FROM ingest_stage)"
        " WHERE n > 1",
    ),
    Rule(
        "sequence-already-loaded",
        "sequence",
        "(rightId, sequence) was already loaded from another file",
        _FIX,
        "WITH loaded AS (SELECT r.right_id, r.sequence FROM ingest_loaded r "
        "                WHERE r.right_id IN (SELECT right_id FROM ingest_stage)) "
        "SELECT s.line_no, s.source_line, s.right_id || '#' || s.sequence FROM ingest_stage s "
        "WHERE EXISTS (SELECT 1 FROM loaded l WHERE l.right_id = s.right_id AND l.sequence = s.sequence)",
    ),
    # A MODIFY or CANCEL without its CREATE is loaded and waits for it (the folding shows no right without a
    # visible CREATE); a second CREATE, or an event placed before the CREATE in sequence order, is a data error.
    Rule(
        "second-create",
        "eventType",
        "a second CREATE of a right (a right is created once; a change is a MODIFY)",
        _FIX,
        _RIGHT_EVENTS + "SELECT s.line_no, s.source_line, 'right ' || s.right_id || ', already created by ' || "
        "arg_min(coalesce('an event loaded from file ' || e.file_id, 'element #' || e.line_no || ' of this file'), "
        "coalesce(e.line_no, 0)) "
        "FROM ingest_stage s JOIN events e ON e.right_id = s.right_id AND e.event_type = 'CREATE' "
        "AND (e.line_no IS NULL OR e.line_no < s.line_no) "
        "WHERE s.event_type = 'CREATE' GROUP BY s.line_no, s.source_line, s.right_id",
    ),
    Rule(
        "event-before-create",
        "sequence",
        "an event of a right comes before its CREATE in sequence order (the CREATE is a right's first event)",
        _FIX,
        _RIGHT_EVENTS + ", creates AS (SELECT right_id, min(sequence) AS sequence FROM events "
        "                 WHERE event_type = 'CREATE' GROUP BY right_id), "
        "firsts AS (SELECT right_id, min(sequence) AS sequence FROM events GROUP BY right_id) "
        "SELECT s.line_no, s.source_line, 'right ' || s.right_id || ': ' || s.event_type || ' #' || s.sequence "
        "|| ', CREATE #' || c.sequence FROM ingest_stage s JOIN creates c ON c.right_id = s.right_id "
        "JOIN firsts f ON f.right_id = s.right_id "
        "WHERE s.sequence < c.sequence OR (s.event_type = 'CREATE' AND s.sequence = c.sequence "
        "                                  AND f.sequence < c.sequence "
        "                                  AND NOT EXISTS (SELECT 1 FROM ingest_stage o WHERE o.right_id = s.right_id "
        "                                                  AND o.sequence = f.sequence))",
    ),
    Rule(
        "event-changes-person",
        "ssin",
        "the events of one right must keep its person (a MODIFY or CANCEL never changes it)",
        _FIX,
        _keeps("ssin"),
    ),
    Rule(
        "event-changes-pcsa",
        "pcsaCbeNumber",
        "the events of one right must keep its CPAS (a MODIFY or CANCEL never changes it)",
        _FIX,
        _keeps("pcsa_cbe_number"),
    ),
    _UNKNOWN_PCSA,
)

RULES = {"payments": PAYMENT_RULES, "rights": RIGHT_RULES}
SSIN_FIELDS = {"payments": (("ssin", "ssin"), ("partner_ssin", "partnerSsin")), "rights": (("ssin", "ssin"),)}


class SsinScan:
    """The invalid SSINs of a file, found while it is read: python-stdnum on each distinct value of a batch not
    known to ``valid``, so that a pool of parse processes shares the cost and the writer only joins the few bad
    ones."""

    def __init__(self, kind: str, valid: ValidSsins) -> None:
        self.valid = valid
        self.columns = [column for column, _field in SSIN_FIELDS[kind]]
        self.bad: dict[str, dict[str, str]] = {column: {} for column in self.columns}

    def add(self, batch: pa.RecordBatch) -> None:
        for column in self.columns:
            bad = self.bad[column]
            for value in self.valid.unseen(batch.column(column)):
                if (why := self.valid.error(value)) is not None:
                    bad[value] = why
        self.valid.settle()

    def __getstate__(self) -> dict:
        """Sent back from a parse process without the cache (it stays with that process's reader)."""
        return {"columns": self.columns, "bad": self.bad, "valid": None}


def stage(connection, spool: Path) -> None:
    """The staged file: a temporary view over its Parquet spool (created in the file's transaction, never
    committed; the loader drops it before COMMIT)."""
    quoted = str(spool).replace("'", "''")  # a view's text cannot take a parameter
    connection.execute(f"CREATE OR REPLACE TEMP VIEW {STAGE} AS SELECT * FROM read_parquet('{quoted}')")


def judge(connection, kind: str) -> Callable[[object], FileRejected | None]:
    """The business rules of ``kind`` as the reader takes them (:data:`ingest.reader.Rules`): a reading's rows
    staged beside what ``connection`` has loaded, and the refusal that names every violation, or None."""

    def rules(reading) -> FileRejected | None:
        stage(connection, reading.spool)
        violations, total = check_staged(connection, kind, reading.ssins)
        return FileRejected("business", violations, total) if violations else None

    return rules


def check_staged(connection, kind: str, scanned: SsinScan) -> tuple[list[Violation], int]:
    """Every business-rule violation of the staged file (capped at MAX_VIOLATIONS), and their total count.

    ``scanned``: the file's SSINs, checked while it was read.
    """
    violations: list[Violation] = []
    total = 0
    for column, field in SSIN_FIELDS[kind]:
        bad = scanned.bad[column]
        if not bad:
            continue
        connection.register("bad_ssins", pa.table({"value": list(bad), "why": list(bad.values())}))
        try:
            rows = connection.execute(
                f"SELECT s.line_no, s.source_line, s.{column}, b.why, count(*) OVER () FROM ingest_stage s "
                f"JOIN bad_ssins b ON b.value = s.{column} ORDER BY s.line_no LIMIT {MAX_VIOLATIONS}"
            ).fetchall()
        finally:
            connection.unregister("bad_ssins")
        total += rows[0][4] if rows else 0
        violations.extend(
            Violation("invalid-ssin", why, field, value, line_no, source_line, "correct the national number")
            for line_no, source_line, value, why, _ in rows
        )
    first, *more = LOADED_ROWS[kind]
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {LOADED} AS {first}")
    for rows in more:  # a set, as a UNION would make it
        connection.execute(f"INSERT INTO {LOADED} {rows} EXCEPT SELECT * FROM {LOADED}")
    try:
        for rule in RULES[kind]:
            total += _check_rule(connection, rule, violations)
    finally:
        connection.execute(f"DROP TABLE {LOADED}")
    violations.sort(key=lambda v: (v.line_no or 0, v.rule))
    return violations[:MAX_VIOLATIONS], total


def _check_rule(connection, rule: Rule, violations: list[Violation]) -> int:
    """Append the rule's violations (at most MAX_VIOLATIONS) and return how many there are."""
    rows = connection.execute(
        f"SELECT *, count(*) OVER () FROM ({rule.sql}) ORDER BY 1 LIMIT {MAX_VIOLATIONS}"
    ).fetchall()
    violations.extend(
        Violation(
            rule.name,
            rule.message,
            rule.field,
            None if value is None else str(value),
            line_no,
            source_line,
            rule.hint,
        )
        for line_no, source_line, value, _ in rows
    )
    return rows[0][3] if rows else 0

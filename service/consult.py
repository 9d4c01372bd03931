"""The business checks and answers of a consultation, the same for SOAP and JSON (CONTRACT section 4.3).

Called once the caller is authenticated and the request is well-formed and schema-valid; runs, in order:
``cbeNumber`` is the caller's (``MSG00014``) -> authorisation (operation or ``Service:*``, legal context, valid
today in Brussels, inclusive; ``MSG00013``) -> SSIN -> criteria -> integration of the person in the caller's
repertory -> data. The first failing check answers. Rights follow DOMAIN "Rights: binding details" and end an
open request at R; amounts are read from the marts, which already hold the binding definitions (finality,
coverage, last indemnified month), and answer as of A(R), the latest first Saturday on or before R (DOMAIN
"Binding definitions": amounts move at first weekends only), which is also their open end.

LivingWages V3 (CONTRACT section 4.5) answers the same checks from the same rights, with more per row
(:class:`RightRow`): periods merge per grouping and household category, and the elements the caller's
authorisation withholds are left out, never split on, and listed (``Answer.withheld``, the ``dataFilters``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from kernel import codes, identifiers
from kernel.codes import WITHHOLDABLE_ELEMENTS
from service import periods as P
from service.index import AmountsIndex
from service.snapshot_store import LoadedSnapshot

MAX_YEARS = 10
FLANDERS_OPERATIONS = frozenset({"getLivingWagePeriodsFlanders", "getLivingWagePeriodsPerPCSAFlanders"})

DESCRIPTIONS = {
    "MSG00000": "Data found",
    "MSG00100": "No data found for this person and period",
    "MSG00008": "Invalid request data",
    "MSG00011": "Invalid SSIN",
    "MSG00012": "The person is not integrated in the dossier repertory of the customer for this period",
    "MSG00013": "Operation not allowed with this legal context and these credentials",
    "MSG00014": "The customer identification does not match the credentials of the caller",
}


@dataclass(frozen=True)
class Consultation:
    """A parsed request, whatever its channel."""

    service: str
    operation: str
    cbe_number: str | None  # None when the customer identified itself by sector/institution
    legal_context: str
    ssin: str
    begin: dt.date | None  # None only with ``date_error``
    end: dt.date | None  # None: open-ended (or, with ``date_error`` naming it, not a date the service can use)
    person_role: str = "BENEFICIARY"
    grouping: str | None = None
    ticket: str | None = None
    # (element, value as sent) of a date the schema accepts but the service cannot answer for: xs:date allows
    # years of five digits and more, and negative years; refused at the criteria check (``MSG00008``)
    date_error: tuple[str, str] | None = None
    version: str = ""  # the service's version ("v3": LivingWages V3); authorisations name the service, not it


@dataclass
class Status:
    value: str
    code: str
    description: str
    information: list[tuple[str, str | None]] = field(default_factory=list)


def status(pair: tuple[str, str], *information: tuple[str, str | None]) -> Status:
    return Status(pair[0], pair[1], DESCRIPTIONS[pair[1]], list(information))


class AmountRow(NamedTuple):
    """One row of an amounts answer (a tuple: dozens are made per request, and a frozen dataclass's
    ``__init__`` measured several times slower)."""

    month: dt.date | None  # MONTH grouping
    year: int | None  # YEAR grouping
    pcsa_cbe_number: str
    allowance_type: str
    household_category: int
    beneficiary_ssin: str | None  # only when the person was asked as PARTNER
    partner_ssin: str | None
    grant_periods: tuple[P.Period, ...]
    amount: Decimal
    covers_whole_period: bool
    finality_status: str


class AmountRows:
    """The amount rows of an answer: runs [start, stop) of rows of one amounts index (one person, role and
    grouping), in the contract's order, left as stored. Iterating decodes them into :class:`AmountRow` (the
    JSON mirror); the SOAP renderer writes them straight from the stored values
    (``service.channels.with_amount``), which measured cheaper than decoding dozens of rows into Python objects
    and formatting them (``bench/README.md``).
    """

    def __init__(self, index: AmountsIndex, spans: list[tuple[int, int]], *, yearly: bool, partner_role: bool):
        self.index = index
        self.spans = spans
        self.yearly = yearly
        self.partner_role = partner_role

    def __len__(self) -> int:
        return sum(stop - start for start, stop in self.spans)

    def __iter__(self) -> Iterator[AmountRow]:
        yearly, partner_role = self.yearly, self.partner_role
        for start, stop in self.spans:
            for row in self.index.decoded(start, stop):
                yield AmountRow(
                    None if yearly else row.period,
                    row.period if yearly else None,
                    row.pcsa_cbe_number,
                    row.allowance_type,
                    row.household_category,
                    row.other if partner_role else None,
                    None if partner_role else row.other,
                    row.grant_periods,
                    row.amount_cents,  # decoded: a Decimal with two places
                    row.covers_whole_period,
                    row.finality_status,
                )

    def last_is_last_indemnified(self) -> bool:
        """Whether the mart flags the last month returned as the person's last indemnified month (in this role);
        the rows of a month are adjacent, so they are at the end of the last run."""
        return self.index.last_month_flagged(*self.spans[-1])


class RightRow(NamedTuple):
    """A period row of LivingWages V3; an element withheld from the caller is None."""

    begin: dt.date
    end: dt.date
    household_category: int | None
    decision_date: dt.date | None  # the latest decision date among the states merged into the row
    last_event: tuple[str, dt.date] | None  # (type, registration date) of the latest visible event among them


# The elements each V3 operation's rows carry that an authorisation may withhold (its ``dataFilters``).
_PERIOD_ELEMENTS = ("householdCategory", "decisionDate", "lastEvent")
V3_ELEMENTS = {
    "getLivingWagePeriods": _PERIOD_ELEMENTS,
    "getLivingWagePeriodsFlanders": _PERIOD_ELEMENTS,
    "getLivingWagePeriodsPerPCSA": ("pcsaCbeNumber", *_PERIOD_ELEMENTS),
    "getLivingWagePeriodsPerPCSAFlanders": ("pcsaCbeNumber", *_PERIOD_ELEMENTS),
    "getLivingWages": ("pcsaCbeNumber", "category", *_PERIOD_ELEMENTS),
}
assert all(set(elements) <= set(WITHHOLDABLE_ELEMENTS) for elements in V3_ELEMENTS.values())


@dataclass
class Answer:
    status: Status
    periods: list = field(default_factory=list)  # periods (V2), or RightRow (V3)
    groups: list[tuple[tuple, list]] = field(default_factory=list)  # (key, periods or RightRow)
    amounts: AmountRows | None = None  # amounts answers with rows only
    reference_date: dt.date | None = None
    last_month_is_last_indemnified: bool | None = None
    withheld: tuple[str, ...] = ()  # V3: the elements withheld from this answer (its dataFilters), in contract order


def authorisation(
    snapshot: LoadedSnapshot, cbe: str, service: str, operation: str, legal_context: str, today: dt.date
) -> frozenset[str] | None:
    """What an authorisation for (institution, operation or ``Service:*``, legal context) valid today, inclusive,
    withholds (the elements of its ``withheld`` column); None when no authorisation is valid.

    Several valid authorisations may cover a request (the operation's and ``Service:*``): an element is withheld
    only when every one of them withholds it (each is a deliberation that allows the request as it says)."""
    wildcard = f"{service}:*"
    withheld: frozenset[str] | None = None
    for grant in snapshot.authorizations.get(cbe, ()):
        if grant.operation not in (operation, wildcard) or grant.legal_context != legal_context:
            continue
        if (grant.valid_from is None or grant.valid_from <= today) and (
            grant.valid_to is None or today <= grant.valid_to
        ):
            withheld = grant.withheld if withheld is None else withheld & grant.withheld
            if not withheld:
                return withheld
    return withheld


def authorised(
    snapshot: LoadedSnapshot, cbe: str, service: str, operation: str, legal_context: str, today: dt.date
) -> bool:
    """An authorisation for (institution, operation or ``Service:*``, legal context) valid today, inclusive."""
    return authorisation(snapshot, cbe, service, operation, legal_context, today) is not None


def integration_windows(snapshot: LoadedSnapshot, cbe: str, ssin: str, begin: dt.date, end: dt.date) -> list[P.Period]:
    """The parts of [begin, end] that the caller's integrations of the person cover (merged)."""
    return P.clip(P.merge(snapshot.integrations.integration_windows(ssin, cbe)), [(begin, end)])


def answer(request: Consultation, caller_cbe: str, snapshot: LoadedSnapshot, today: dt.date) -> Answer:
    """Run the checks in contract order and build the answer."""
    if request.cbe_number is None or request.cbe_number != caller_cbe:
        return Answer(status(codes.CBE_MISMATCH, ("cbeNumber", request.cbe_number)))
    withheld = authorisation(snapshot, caller_cbe, request.service, request.operation, request.legal_context, today)
    if withheld is None:
        return Answer(status(codes.NOT_AUTHORIZED, ("legalContext", request.legal_context)))
    v3 = request.version == "v3" and request.service == "LivingWages"
    # V3: what the authorisation withholds from this operation's rows (V2 carries none of it: ignored)
    filtered = tuple(e for e in V3_ELEMENTS.get(request.operation, ()) if e in withheld) if v3 else ()
    result = _checked(request, caller_cbe, snapshot, filtered if v3 else None)
    result.withheld = filtered
    return result


def _checked(
    request: Consultation, caller_cbe: str, snapshot: LoadedSnapshot, withheld: tuple[str, ...] | None
) -> Answer:
    """The checks after the authorisation, and the answer (``withheld``: None for V2, else V3's filtered)."""
    # a person of the repertory (integrations) had their SSIN checked when the reference data was loaded
    if not snapshot.integrations.knows(request.ssin) and identifiers.ssin_error(request.ssin) is not None:
        return Answer(status(codes.INVALID_SSIN, ("ssin", request.ssin)))

    # criteria
    if request.date_error is not None or request.begin is None:
        name, value = request.date_error or ("beginDate", None)
        return Answer(status(codes.INVALID_REQUEST, (name, value)))
    begin = request.begin
    if request.end is not None and request.end < begin:
        return Answer(status(codes.INVALID_REQUEST, ("endDate", request.end.isoformat())))
    amounts = request.service == "LivingWagesWithAmount"
    if amounts:
        end = request.end if request.end is not None else snapshot.amounts_date
        limit = P.add_years(begin, MAX_YEARS)  # None: after 9999-12-31, beyond any end
        if limit is not None and end >= limit:
            return Answer(status(codes.INVALID_REQUEST, ("period", f"at most {MAX_YEARS} years")))
    else:
        end = request.end if request.end is not None else dt.date.max

    # integration: over the requested period; an open amounts request beginning after A(R) asks for nothing yet,
    # and is checked as the caller wrote it, from its begin on (as an open rights request is)
    windows = integration_windows(snapshot, caller_cbe, request.ssin, begin, end if end >= begin else dt.date.max)
    if not windows:
        return Answer(status(codes.NOT_INTEGRATED, ("ssin", request.ssin), ("cbeNumber", caller_cbe)))

    if amounts:
        result = _amounts(request, snapshot, windows if end >= begin else [])  # already within [begin, end]
    else:
        open_end = request.end if request.end is not None else snapshot.reference_date
        if withheld is None:
            result = _rights(request, snapshot, windows, open_end)
        else:
            result = _rights_v3(request, snapshot, windows, open_end, frozenset(withheld))
    found = bool(result.periods or result.groups or result.amounts)
    result.status = status(codes.DATA_FOUND if found else codes.NO_DATA_FOUND)
    return result


def _rights(request: Consultation, snapshot: LoadedSnapshot, windows: list[P.Period], open_end: dt.date) -> Answer:
    flanders_only = request.operation in FLANDERS_OPERATIONS
    grouped: dict[tuple[str, ...], list[P.Period]] = {}
    for pcsa, category, begin, end in snapshot.rights.periods(request.ssin):
        if flanders_only and pcsa not in snapshot.flemish_pcsa:
            continue
        end = end if end is not None else open_end
        if end < begin:
            continue
        if request.operation.startswith("getLivingWagePeriodsPerPCSA"):
            key: tuple[str, ...] = (pcsa,)
        elif request.operation == "getLivingWages":
            key = (pcsa, category)
        else:
            key = ()
        grouped.setdefault(key, []).append((begin, end))
    result = Answer(status(codes.NO_DATA_FOUND))
    clipped = {key: P.clip(P.merge(spans), windows) for key, spans in grouped.items()}
    clipped = {key: spans for key, spans in clipped.items() if spans}
    if request.operation in ("getLivingWagePeriods", "getLivingWagePeriodsFlanders"):
        result.periods = clipped.get((), [])
    else:
        result.groups = sorted(clipped.items())
    return result


def _rights_v3(
    request: Consultation, snapshot: LoadedSnapshot, windows: list[P.Period], open_end: dt.date, withheld: frozenset
) -> Answer:
    """V3's rows: the rights' current states merged per grouping and household category (per grouping only when
    the household category is withheld); a withheld CPAS or category is not a grouping either."""
    operation = request.operation
    flanders_only = operation in FLANDERS_OPERATIONS
    per_pcsa = operation.startswith("getLivingWagePeriodsPerPCSA")
    per_category = operation == "getLivingWages"
    show_pcsa = "pcsaCbeNumber" not in withheld
    show_category = "category" not in withheld
    split_household = "householdCategory" not in withheld
    flemish = snapshot.flemish_pcsa
    grouped: dict[tuple, list[tuple]] = {}  # (grouping key, household category) -> its states (as _State)
    # the columns of RightsColumns, unpacked (a request is sub-millisecond: no named tuple per right)
    for pcsa, category, begin, end, household, decided, kind, sequence, registered in snapshot.rights.states(
        request.ssin
    ):
        if flanders_only and pcsa not in flemish:
            continue
        if end is None:
            end = open_end
        if end < begin:
            continue
        if per_pcsa:
            key: tuple = (pcsa if show_pcsa else None,)
        elif per_category:
            key = (pcsa if show_pcsa else None, category if show_category else None)
        else:
            key = ()
        found = grouped.get((key, household if split_household else None))
        state = (begin, end, decided, (registered, sequence, kind))
        if found is None:
            grouped[(key, household if split_household else None)] = [state]
        else:
            found.append(state)
    show_decision = "decisionDate" not in withheld
    show_event = "lastEvent" not in withheld
    result = Answer(status(codes.NO_DATA_FOUND))
    rows_by_key: dict[tuple, list[RightRow]] = {}
    for (key, household), states in grouped.items():
        rows = _merged_rows(states, windows, household, show_decision, show_event)
        if rows:
            if key in rows_by_key:
                rows_by_key[key] += rows
            else:
                rows_by_key[key] = rows
    for rows in rows_by_key.values():
        if len(rows) > 1:
            rows.sort(key=lambda row: (row.begin, row.end, row.household_category or 0))
    if operation in ("getLivingWagePeriods", "getLivingWagePeriodsFlanders"):
        result.periods = rows_by_key.get((), [])
    else:
        result.groups = sorted(rows_by_key.items(), key=lambda item: tuple(part or "" for part in item[0]))
    return result


class _State(NamedTuple):
    """What a row needs of one right's current state (built as a plain tuple in this order on the hot path)."""

    begin: dt.date
    end: dt.date
    decision_date: dt.date
    event: tuple[dt.date, int, str]  # (registration date, sequence, type): the latest sorts last


def _merged_rows(
    states: list[tuple], windows: list[P.Period], household: int | None, show_decision: bool, show_event: bool
) -> list[RightRow]:
    """Uninterrupted runs of ``states`` (:class:`_State`: overlapping or adjacent), clipped to ``windows``; each
    piece says the latest decision and event among the states that overlap it (a state outside what the caller
    may see, merged into the same run, says nothing)."""
    if len(states) > 1:
        states = sorted(states)
    runs: list[list] = []  # [begin, end, states]
    for state in states:
        if runs and (state[0] - runs[-1][1]).days <= 1:
            run = runs[-1]
            if state[1] > run[1]:
                run[1] = state[1]
            run[2].append(state)
        else:
            runs.append([state[0], state[1], [state]])
    rows = []
    for run_begin, run_end, members in runs:
        for w_begin, w_end in windows:
            begin = run_begin if run_begin > w_begin else w_begin
            end = run_end if run_end < w_end else w_end
            if begin > end:
                continue
            seen = members if len(members) == 1 else [s for s in members if s[0] <= end and begin <= s[1]]
            decision = max(s[2] for s in seen) if show_decision else None
            latest = max(s[3] for s in seen) if show_event else None
            rows.append(RightRow(begin, end, household, decision, (latest[2], latest[0]) if latest else None))
    return rows


def _amounts(request: Consultation, snapshot: LoadedSnapshot, windows: list[P.Period]) -> Answer:
    """The person's rows (already in contract order) whose month or year overlaps the integrated windows."""
    result = Answer(status(codes.NO_DATA_FOUND), reference_date=snapshot.amounts_date)  # A(R)
    if not windows:
        return result
    yearly = request.grouping == "YEAR"
    index = snapshot.amounts("YEAR" if yearly else "MONTH", request.person_role)
    spans: list[tuple[int, int]] = []
    for begin, end in windows:  # each window is one run of the person's rows
        found = index.rows_between(request.ssin, begin, end)
        if found is None:
            continue
        if spans and found[0] <= spans[-1][1]:  # windows sharing a month (year): its rows once
            spans[-1] = (spans[-1][0], max(spans[-1][1], found[1]))
        else:
            spans.append(found)
    if spans:
        result.amounts = AmountRows(index, spans, yearly=yearly, partner_role=request.person_role == "PARTNER")
        if not yearly:
            result.last_month_is_last_indemnified = result.amounts.last_is_last_indemnified()
    return result

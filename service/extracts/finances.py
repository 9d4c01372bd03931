"""SPF Finances, yearly (CONTRACT §7): per beneficiary and allowance type, the amounts of tax year Y
{ssin, allowanceType, annualAmount, monthsPaid, monthsWithoutAllowance, pcsaCbeNumber 1..n, finalityStatus}.

- **From the amounts marts** of the published snapshot: ``yearly_amounts`` (the annual amount is the sum of the
  person's yearly rows of that allowance type, every CPAS, household category and partner; the status is the
  least final of them) and ``monthly_amounts`` (a month is *paid* when the person's amounts of that allowance
  type in that month, all CPAS together, are positive; the other months of the year are without allowance).
- **Only once the year is final**: every month of Y FINAL at A(R) (age ≥ 6, or ≥ 3 with no open rejection and
  no row still consolidating). Earlier with ``provisional``: the file then says ``provisional`` true.
- **Recipient**: the SPF Finances institution (CBSS sector 50), which must hold the authorisation
  ``LivingWagesWithAmount:extract`` valid today; without it the extract is refused with MSG00013.
- **Control**: counted from ``monthly_amounts`` alone (people and allowance types with a row in Y, the sum of
  the monthly amounts), not from the yearly rows the records come from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TextIO

from kernel.calendar import add_months, month_age
from kernel.errors import LwwError
from service.extracts import xmlout
from service.extracts.control import Counter, Figures
from service.extracts.source import Recipient, Refused, Source, authorised_legal_context, institution_of_sector

KIND = "finances"
ROOT = "financesExtract"
RECORD = "record"
AMOUNT = "annualAmount"  # the record's amount the control block totals
OPERATION = "LivingWagesWithAmount:extract"
SECTOR = 50  # SPF Finances (DOMAIN.md)


@dataclass(frozen=True)
class Plan:
    period: str  # the tax year, YYYY
    begin: dt.date
    end: dt.date
    recipient: Recipient
    reference_date: dt.date  # A(R): the amounts' reference date
    provisional: bool


def parse_period(text: str | None) -> str:
    if text is None or not (len(text) == 4 and text.isdigit() and text[0] != "0"):
        raise LwwError(f"--year: {text!r} is not a tax year: expected YYYY (finances --year 2025)")
    return text


def unfinished_months(source: Source, year: int) -> list[tuple[dt.date, str]]:
    """(month, status) of the months of ``year`` not FINAL at A(R), from the snapshot's marts."""
    moment = source.amounts_date
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    consolidating = {
        row[0]
        for row in source.connection.execute(
            """
            SELECT DISTINCT month FROM monthly_amounts
            WHERE month >= ? AND month < ? AND finality_status <> 'FINAL'
            UNION SELECT DISTINCT month FROM dq_open_rejections
            WHERE month >= ? AND month < ? AND NOT is_abandoned
            """,
            [months[0], add_months(months[0], 12)] * 2,
        ).fetchall()
    }
    unfinished = []
    for month in months:
        age = month_age(month, moment)
        if age < 3:
            unfinished.append((month, "PROVISIONAL"))
        elif age < 6 and month in consolidating:
            unfinished.append((month, "CONSOLIDATING"))
    return unfinished


def plan(source: Source, period: str, *, provisional: bool, today: dt.date) -> Plan:
    """The extract of tax year ``period``: the recipient's authorisation first (as a consultation checks it
    before its criteria), then whether the year is published and final."""
    year = int(period)
    begin, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    recipient = institution_of_sector(source, SECTOR, "SPF Finances")
    legal_context = authorised_legal_context(source, recipient.cbe_number, OPERATION, today)
    asked = Plan(
        period,
        begin,
        end,
        Recipient(recipient.cbe_number, recipient.name, legal_context),
        source.amounts_date,
        provisional=False,
    )
    if legal_context is None:
        raise Refused(
            f"MSG00013: {recipient.name} ({recipient.cbe_number}) holds no authorisation {OPERATION} valid on "
            f"{today} in snapshot {source.snapshot_id}: the finances extract of {year} is refused",
            asked,
        )
    if begin > source.cutoff:
        raise LwwError(
            f"no amounts of {year} are published yet: snapshot {source.snapshot_id} holds amounts up to "
            f"{source.cutoff} (R={source.reference_date})"
        )
    unfinished = unfinished_months(source, year)
    if unfinished and not provisional:
        first, last = unfinished[0][0], unfinished[-1][0]
        raise LwwError(
            f"tax year {year} is not final at {source.amounts_date} (snapshot {source.snapshot_id}): "
            f"{len(unfinished)} month(s) from {first:%Y-%m} to {last:%Y-%m} are not FINAL; run it after the "
            f"first Saturday of July {year + 1}, or with --provisional"
        )
    return dataclasses.replace(asked, provisional=bool(unfinished))


_RECORDS = """
WITH yearly AS (
    SELECT beneficiary_ssin AS ssin, allowance_type, sum(amount) AS annual_amount,
           array_sort(list_distinct(list(pcsa_cbe_number))) AS pcsas,
           min(CASE finality_status WHEN 'PROVISIONAL' THEN 1 WHEN 'CONSOLIDATING' THEN 2 ELSE 3 END) AS rank
    FROM yearly_amounts WHERE year = $year
    GROUP BY ALL
), paid_months AS (
    SELECT beneficiary_ssin AS ssin, allowance_type, month
    FROM monthly_amounts WHERE month >= $begin AND month <= $end
    GROUP BY ALL HAVING sum(amount) > 0
), paid AS (
    SELECT ssin, allowance_type, count(*) AS months_paid FROM paid_months GROUP BY ALL
)
SELECT y.ssin, y.allowance_type, y.annual_amount, coalesce(p.months_paid, 0)::INTEGER, y.pcsas,
       ['PROVISIONAL', 'CONSOLIDATING', 'FINAL'][y.rank]
FROM yearly y LEFT JOIN paid p USING (ssin, allowance_type)
ORDER BY y.ssin, y.allowance_type
"""


def write_records(out: TextIO, source: Source, plan: Plan, counter: Counter, last_released: object) -> dict:
    """The records of the tax year, from the snapshot alone (no earlier file is read: ``last_released`` unused)."""
    out.write(f"<taxYear>{plan.period}</taxYear><provisional>{str(plan.provisional).lower()}</provisional>\n")
    cursor = source.connection.execute(_RECORDS, {"year": int(plan.period), "begin": plan.begin, "end": plan.end})
    while rows := cursor.fetchmany(20_000):
        for ssin, allowance, annual, paid, pcsas, status in rows:
            cbes = "".join(f"<pcsaCbeNumber>{cbe}</pcsaCbeNumber>" for cbe in pcsas)
            out.write(
                f"<record><ssin>{ssin}</ssin><allowanceType>{allowance}</allowanceType>"
                f"<annualAmount>{xmlout.amount(annual)}</annualAmount><monthsPaid>{paid}</monthsPaid>"
                f"<monthsWithoutAllowance>{12 - paid}</monthsWithoutAllowance>{cbes}"
                f"<finalityStatus>{status}</finalityStatus></record>\n"
            )
            counter.add(ssin, allowance, annual)
    return {"provisional": plan.provisional}


def control_figures(source: Source, begin: dt.date, end: dt.date) -> Figures:
    where = "WHERE month >= ? AND month <= ?"
    records, people = source.connection.execute(
        f"SELECT count(DISTINCT (beneficiary_ssin, allowance_type)), count(DISTINCT beneficiary_ssin) "
        f"FROM monthly_amounts {where}",
        [begin, end],
    ).fetchone()
    totals = source.connection.execute(
        f"SELECT allowance_type, sum(amount) FROM monthly_amounts {where} GROUP BY 1", [begin, end]
    ).fetchall()
    return Figures(records, people, dict(totals))

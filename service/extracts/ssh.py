"""Harmonised social statuses (SSH), monthly (CONTRACT §7): who holds a living-wage right on which days of month M.

- **From the rights** (the published ``rights`` table, ``marts.fct_rights``: the rights as of R, each folded
  from its events), never from the amounts: a right the CPAS pays alone is a status all the same.
- **Records** {ssin, statusCode, period, pcsaCbeNumber, householdCategory}: the ACTIVE rights of category
  LIVING_WAGE or EQUIVALENT_LIVING_WAGE overlapping M, clipped to M (an open-ended right runs to the end of M),
  merged per (person, status, CPAS, household category) when they overlap or touch (one ends the day before the
  other begins): one record per uninterrupted period, day-exact.
- **Changes** against the previous month P, per (person, status): NEW (held in M, not in P), ENDED (held in P,
  not in M), CHANGED (held in both, but with another set of CPAS or household categories). P's statuses are
  those of **the last file released for P** (what the buffer database received: its changes then chain month
  after month), or, when none was released, P computed from the same snapshot as M. The section says which
  (``basis``, ``previousFile``), and the same period, snapshot and basis give the same bytes.
- **Recipient**: the buffer database of the harmonised social statuses, held by the CBSS.
- **Control**: recordCount and distinctSsinCount computed day by day (every day of M each right covers, then
  runs of consecutive days), not by the interval merge the records come from; no totalAmount (rights carry no
  amounts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyarrow as pa
from lxml import etree

from kernel.calendar import add_months, month_end, parse_month
from kernel.errors import LwwError
from service.extracts.control import Counter, Figures
from service.extracts.source import Recipient, Source
from service.extracts.xmlout import NAMESPACE

KIND = "ssh"
ROOT = "socialStatusesExtract"
RECORD = "status"
AMOUNT = None
OPERATION = "HarmonisedSocialStatuses:extract"
# The CBSS (Crossroads Bank for Social Security), which holds the SSH buffer database: its own CBE number.
RECIPIENT = Recipient("0367302178", "CBSS - KSZ - BCSS (harmonised social statuses buffer database)")
_NS = f"{{{NAMESPACE}}}"


@dataclass(frozen=True)
class Plan:
    period: str  # YYYY-MM
    begin: dt.date
    end: dt.date
    recipient: Recipient
    reference_date: dt.date  # R: what the rights are as of


def parse_period(text: str | None) -> str:
    try:
        return parse_month(text or "").strftime("%Y-%m")
    except ValueError as error:
        raise LwwError(f"--month: {error} (ssh --month 2026-02)") from None


def previous_period(period: str) -> str:
    return add_months(parse_month(period), -1).strftime("%Y-%m")


def plan(source: Source, period: str, *, provisional: bool, today: dt.date) -> Plan:
    if provisional:
        raise LwwError("--provisional goes with the finances extract: the statuses of a month are its rights as of R")
    begin = parse_month(period)
    if begin > source.reference_date:
        raise LwwError(
            f"month {period} begins after R={source.reference_date} of snapshot {source.snapshot_id}: "
            "its rights are not known yet"
        )
    return Plan(period, begin, month_end(begin), RECIPIENT, source.reference_date)


# the statuses of a month: rights clipped to it, then merged per grouping when they overlap or touch
_STATUSES = """
WITH held AS (
    SELECT ssin, category AS status_code, pcsa_cbe_number, household_category,
           greatest(begin_date, $begin) AS b, least(coalesce(end_date, $end), $end) AS e
    FROM rights
    WHERE status = 'ACTIVE' AND category IN ('LIVING_WAGE', 'EQUIVALENT_LIVING_WAGE')
      AND begin_date <= $end AND (end_date IS NULL OR end_date >= $begin)
), ordered AS (
    SELECT *, max(e) OVER (PARTITION BY ssin, status_code, pcsa_cbe_number, household_category
                           ORDER BY b, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM held
), islands AS (
    SELECT *, sum(CASE WHEN reach IS NOT NULL AND b <= reach + 1 THEN 0 ELSE 1 END)
                  OVER (PARTITION BY ssin, status_code, pcsa_cbe_number, household_category
                        ORDER BY b, e ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
)
SELECT ssin, status_code, min(b) AS begin_date, max(e) AS end_date, pcsa_cbe_number, household_category
FROM islands
GROUP BY ssin, status_code, pcsa_cbe_number, household_category, island
ORDER BY ssin, status_code, begin_date, pcsa_cbe_number, household_category
"""

_CHANGES = """
WITH cur AS (
    SELECT ssin, status_code,
           array_sort(list_distinct(list(pcsa_cbe_number || '/' || household_category))) AS held_as
    FROM ssh_current GROUP BY ALL
), prev AS (
    SELECT ssin, status_code,
           array_sort(list_distinct(list(pcsa_cbe_number || '/' || household_category))) AS held_as
    FROM ssh_previous GROUP BY ALL
)
SELECT coalesce(c.ssin, p.ssin) AS ssin, coalesce(c.status_code, p.status_code) AS status_code,
       CASE WHEN p.ssin IS NULL THEN 'NEW' WHEN c.ssin IS NULL THEN 'ENDED' ELSE 'CHANGED' END AS change
FROM cur c FULL OUTER JOIN prev p ON c.ssin = p.ssin AND c.status_code = p.status_code
WHERE p.ssin IS NULL OR c.ssin IS NULL OR c.held_as <> p.held_as
ORDER BY 1, 2
"""


def _statuses(source: Source, table: str, begin: dt.date, end: dt.date) -> None:
    source.connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {_STATUSES}", {"begin": begin, "end": end})


def statuses_in_file(path: Path) -> pa.Table:
    """The status records of a released SSH file (streamed)."""
    columns: dict[str, list] = {"ssin": [], "status_code": [], "pcsa_cbe_number": [], "household_category": []}
    for _, element in etree.iterparse(str(path), events=("end",), tag=_NS + RECORD):
        columns["ssin"].append(element.findtext(_NS + "ssin"))
        columns["status_code"].append(element.findtext(_NS + "statusCode"))
        columns["pcsa_cbe_number"].append(element.findtext(_NS + "pcsaCbeNumber"))
        columns["household_category"].append(int(element.findtext(_NS + "householdCategory")))
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return pa.table(columns)


def write_records(
    out: TextIO, source: Source, plan: Plan, counter: Counter, last_released: Callable[[str], Path | None]
) -> dict:
    """The statuses of M, then the changes against P (see the module's docstring for P's statuses);
    ``last_released(period)``: the last file released for ``period``, if any."""
    out.write(f"<month>{plan.period}</month>\n")
    _statuses(source, "ssh_current", plan.begin, plan.end)
    cursor = source.connection.execute("SELECT * FROM ssh_current")
    while rows := cursor.fetchmany(20_000):
        for ssin, status, begin, end, pcsa, household in rows:
            out.write(
                f"<status><ssin>{ssin}</ssin><statusCode>{status}</statusCode>"
                f"<period><beginDate>{begin}</beginDate><endDate>{end}</endDate></period>"
                f"<pcsaCbeNumber>{pcsa}</pcsaCbeNumber><householdCategory>{household}</householdCategory></status>\n"
            )
            counter.add(ssin)
    previous = add_months(plan.begin, -1)
    previous_file = last_released(previous_period(plan.period))
    if previous_file is not None:
        previous_rows = statuses_in_file(previous_file)  # noqa: F841 (read by DuckDB below)
        source.connection.execute("CREATE OR REPLACE TEMP TABLE ssh_previous AS SELECT * FROM previous_rows")
        basis = f'basis="PREVIOUS_EXTRACT" previousFile="{previous_file.name}"'
    else:
        _statuses(source, "ssh_previous", previous, month_end(previous))
        basis = 'basis="SNAPSHOT"'
    out.write(f'<changes previousMonth="{previous:%Y-%m}" {basis}>\n')
    cursor = source.connection.execute(_CHANGES)
    changes = {"NEW": 0, "CHANGED": 0, "ENDED": 0}
    while rows := cursor.fetchmany(20_000):
        for ssin, status, change in rows:
            out.write(f'<change type="{change}"><ssin>{ssin}</ssin><statusCode>{status}</statusCode></change>\n')
            changes[change] += 1
    out.write("</changes>\n")
    return {
        "changes_basis": "PREVIOUS_EXTRACT" if previous_file else "SNAPSHOT",
        "previous_file": previous_file.name if previous_file else None,
        "changes": changes,
    }


_DAYS = """
WITH covered AS (
    -- every day of M each right covers (expanded within M only: a 15-year right would otherwise give 5,000
    -- days for the 31 that count)
    SELECT DISTINCT ssin, category, pcsa_cbe_number, household_category,
           CAST(unnest(generate_series(greatest(begin_date, $begin), least(coalesce(end_date, $end), $end),
                                   INTERVAL 1 DAY)) AS DATE) AS day
    FROM rights
    WHERE status = 'ACTIVE' AND category IN ('LIVING_WAGE', 'EQUIVALENT_LIVING_WAGE')
), in_month AS (
    SELECT * FROM covered WHERE day BETWEEN $begin AND $end
), runs AS (
    -- consecutive days have the same day number minus rank: one run per uninterrupted period
    SELECT ssin, category, pcsa_cbe_number, household_category,
           date_diff('day', DATE '2000-01-01', day)
               - row_number() OVER (PARTITION BY ssin, category, pcsa_cbe_number, household_category ORDER BY day)
               AS run
    FROM in_month
)
SELECT count(DISTINCT (ssin, category, pcsa_cbe_number, household_category, run)), count(DISTINCT ssin) FROM runs
"""


def control_figures(source: Source, begin: dt.date, end: dt.date) -> Figures:
    records, people = source.connection.execute(_DAYS, {"begin": begin, "end": end}).fetchone()
    return Figures(records, people, {})

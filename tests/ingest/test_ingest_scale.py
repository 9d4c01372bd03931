"""Belgian-scale months load under the ingest's default memory limit (``LWW_INGEST_MEMORY_LIMIT``, 64 MB).

A month of payments is about 250,000 lines, and a few thousand of them re-introduce lines rejected the month
before. The rules' look-up of the loaded rows those lines name once built two hash tables of staged keys at once
and ran out of the limit on the second month: the refresh failed with DuckDB's "Out of Memory Error".
"""

from __future__ import annotations

import datetime as dt

from ingest import ingest_inbox, load_reference
from kernel.identifiers import cbe_with_check, ssin_with_check
from tests.ingest.ingest_builders import PAYMENTS_NS, write_pcsa

LINES = 250_000
# as many people and CPAS as a Belgian month: 200,000 people (of 240 birth dates x 998 serials), 565 CPAS
BORN = [dt.date(1960, 1, 1) + dt.timedelta(days=73 * n) for n in range(240)]
PEOPLE = [ssin_with_check(day.strftime("%y%m%d"), serial, False) for day in BORN for serial in range(1, 999)][:200_000]
CPAS = tuple(cbe_with_check(2_000_000 + 37 * n) for n in range(565))


def _month(folder, month: int, replacing: list[str]) -> list[str]:
    """A month's file (pretty-printed as upstream exports are): every 31st line re-introduces one of ``replacing``
    while there are some, and every 33rd line is rejected. Returns the ids of its rejected lines."""
    rejected = []
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<paymentAcceptances xmlns="{PAYMENTS_NS}" '
        f'fileId="PAY-2026-{month:02d}" createdAt="2026-{month + 1:02d}-02T02:00:00Z">\n'
    ]
    waiting = iter(replacing)
    for n in range(LINES):
        line_id = f"2026{month:02d}-{n:07d}"
        replaced = next(waiting, None) if n % 31 == 7 else None  # spread over the file, as upstream's are
        replaces = f"<replacesLineId>{replaced}</replacesLineId>" if replaced else ""
        index = int(replaced[-7:]) if replaced else n  # a replacement keeps the person and CPAS of what it replaces
        person, cpas = PEOPLE[index * 7919 % len(PEOPLE)], CPAS[index % len(CPAS)]
        decision = "<decision>ACCEPTED</decision>"
        if not replaces and n % 33 == 0:
            decision = "<decision>REJECTED</decision><rejectionCode>R01</rejectionCode>"
            rejected.append(line_id)
        parts.append(
            f"  <line>\n    <lineId>{line_id}</lineId>\n    {replaces}<pcsaCbeNumber>{cpas}</pcsaCbeNumber>\n"
            f"    <ssin>{person}</ssin>\n    <allowanceType>LIVING_WAGE</allowanceType>\n"
            "    <householdCategory>2</householdCategory>\n"
            f"    <period><beginDate>2026-{month:02d}-01</beginDate><endDate>2026-{month:02d}-28</endDate></period>\n"
            f"    <amount>1314.20</amount>\n    <paymentDate>2026-{month:02d}-05</paymentDate>\n"
            f"    <acceptanceDate>2026-{month:02d}-20</acceptanceDate>\n    {decision}\n"
            "  </line>\n"
        )
    parts.append("</paymentAcceptances>\n")
    (folder / f"PAY-2026-{month:02d}.xml").write_text("".join(parts), encoding="utf-8")
    return rejected


def test_belgian_scale_months_load_under_the_default_memory_limit(home, warehouse, monkeypatch):
    monkeypatch.delenv("LWW_INGEST_MEMORY_LIMIT", raising=False)
    write_pcsa(home.reference, CPAS)
    load_reference(warehouse, home)
    home.payments_inbox.mkdir(parents=True, exist_ok=True)
    rejected = _month(home.payments_inbox, 3, [])
    replaced = 0
    for month in (4, 5):  # each month re-introduces every line rejected the month before (fewer than 1 in 31)
        replaced += len(rejected)
        rejected = _month(home.payments_inbox, month, rejected)
    report = ingest_inbox(warehouse, home, workers=1)
    assert [o.status for o in report.outcomes] == ["loaded"] * 3, report.summary()
    replacing = "SELECT count(*) FROM raw.payment_lines WHERE replaces_line_id IS NOT NULL"
    assert warehouse.execute(replacing).fetchone() == (replaced,)

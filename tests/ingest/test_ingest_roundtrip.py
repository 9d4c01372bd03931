"""Property: any generated batch of payment lines round-trips XML -> DuckDB unchanged, amounts to the cent."""

from __future__ import annotations

import calendar
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import ingest_inbox, load_reference
from kernel.settings import settings as make_settings
from tests.ingest.ingest_builders import CPAS_A, CPAS_B, drop, payment, payments_xml, ssin, write_pcsa

SSINS = [ssin(n) for n in (1, 2, 3, 500, 998)]
# identifiers: no white space (XSD), but anything else XML can carry, escaped by the writer
ID_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Zs", "Zl", "Zp"), blacklist_characters="\ufeff\x85")


@st.composite
def lines(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    ids = draw(st.lists(st.text(ID_CHARS, min_size=1, max_size=36), min_size=count, max_size=count, unique=True))
    out = []
    for index, line_id in enumerate(ids):
        year = draw(st.integers(min_value=2010, max_value=2030))
        month = draw(st.integers(min_value=1, max_value=12))
        last = calendar.monthrange(year, month)[1]
        begin = draw(st.integers(min_value=1, max_value=last))
        end = draw(st.integers(min_value=begin, max_value=last))
        person = draw(st.sampled_from(SSINS))
        partner = draw(st.none() | st.sampled_from([s for s in SSINS if s != person]))
        rejected = draw(st.booleans())
        cents = draw(st.integers(min_value=0, max_value=999_999_999_999))
        accepted = dt.date(2026, 1, 1) + dt.timedelta(days=index)  # a replacement is decided after what it replaces
        replaces = None
        if index and draw(st.booleans()) and not any(o.get("replacesLineId") == ids[index - 1] for o in out):
            replaces = ids[index - 1]
            person, cpas = out[-1]["ssin"], out[-1]["pcsaCbeNumber"]
            partner = None
        else:
            cpas = draw(st.sampled_from([CPAS_A, CPAS_B]))
        out.append(
            payment(
                line_id,
                replacesLineId=replaces,
                pcsaCbeNumber=cpas,
                ssin=person,
                partnerSsin=partner,
                allowanceType=draw(
                    st.sampled_from(["LIVING_WAGE", "EQUIVALENT_LIVING_WAGE", "FAMILY_ALLOWANCE_ADVANCE"])
                ),
                householdCategory=draw(st.sampled_from(["1", "2", "3"])),
                beginDate=dt.date(year, month, begin).isoformat(),
                endDate=dt.date(year, month, end).isoformat(),
                amount=f"{Decimal(cents) / 100:.2f}",
                paymentDate=draw(st.dates(dt.date(2000, 1, 1), dt.date(2039, 12, 31))).isoformat(),
                acceptanceDate=accepted.isoformat(),
                decision="REJECTED" if rejected else "ACCEPTED",
                rejectionCode=draw(st.text(ID_CHARS, min_size=1, max_size=16)) if rejected else None,
            )
        )
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines())
def test_any_batch_round_trips_to_duckdb_unchanged(generated):
    with tempfile.TemporaryDirectory() as folder:
        home = make_settings(Path(folder)).ensure()
        write_pcsa(home.reference)
        connection = duckdb.connect(":memory:")  # a real DuckDB; the file-backed path is tested elsewhere
        try:
            load_reference(connection, home)
            drop(home.payments_inbox, "p.xml", payments_xml(generated))
            report = ingest_inbox(connection, home)
            assert report.quarantined == [], report.quarantined[0].violations if report.quarantined else None
            rows = connection.execute(
                "SELECT line_id, replaces_line_id, pcsa_cbe_number, ssin, partner_ssin, allowance_type, "
                "household_category, begin_date, end_date, amount, payment_date, acceptance_date, decision, "
                "rejection_code FROM raw.payment_lines ORDER BY line_no"
            ).fetchall()
        finally:
            connection.close()
    expected = [
        (
            g["lineId"], g.get("replacesLineId"), g["pcsaCbeNumber"], g["ssin"], g.get("partnerSsin"),
            g["allowanceType"], int(g["householdCategory"]), dt.date.fromisoformat(g["beginDate"]),
            dt.date.fromisoformat(g["endDate"]), Decimal(g["amount"]), dt.date.fromisoformat(g["paymentDate"]),
            dt.date.fromisoformat(g["acceptanceDate"]), g["decision"], g.get("rejectionCode"),
        )
        for g in generated
    ]  # fmt: skip
    assert rows == expected

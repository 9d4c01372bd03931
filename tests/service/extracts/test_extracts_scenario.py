"""The extracts on the small scenario (a real simulation, refreshed by the real pipeline): the finances extract
equals the independent oracle of the amounts, the statuses equal a day-by-day reading of the rights, reruns give
the same bytes, a file whose figures differ from the marts' is never released."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest

from ingest.audit_log import read_audit_file
from kernel import snapshots
from kernel.calendar import add_months, month_end
from kernel.errors import LwwError
from service.extracts import delivery
from tests.dbt import oracle
from tests.service.extracts import files
from tests.service.extracts.conftest import R

RANK = {"PROVISIONAL": 1, "CONSOLIDATING": 2, "FINAL": 3}


def _oracle_finances(home, year: int):
    """Per (ssin, allowance type): the oracle's yearly rows summed, their CPAS, least status; months paid from its
    monthly rows (a month is paid when the person's amounts of that type, every CPAS together, are positive)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM raw.payment_lines")
        names = [d[0] for d in cursor.description]
        lines = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    amounts = oracle.compute(lines, R)
    annual, pcsas, status = defaultdict(Decimal), defaultdict(set), {}
    for (ssin, y, pcsa, allowance, _category, _partner), row in amounts.yearly.items():
        if y != year:
            continue
        key = (ssin, allowance)
        annual[key] += row[0]
        pcsas[key].add(pcsa)
        status[key] = min(status.get(key, "FINAL"), row[3], key=RANK.get)
    by_month = defaultdict(Decimal)
    for (ssin, month, _pcsa, allowance, _category, _partner), row in amounts.monthly.items():
        if month.year == year:
            by_month[(ssin, allowance, month)] += row[0]
    paid = defaultdict(int)
    for (ssin, allowance, _month), total in by_month.items():
        if total > 0:
            paid[(ssin, allowance)] += 1
    return {
        key: (f"{annual[key]:.2f}", paid[key], 12 - paid[key], tuple(sorted(pcsas[key])), status[key]) for key in annual
    }


def test_the_finances_extract_equals_the_oracle_and_its_control_block_the_oracle_totals(scenario):
    released, comparison = delivery.produce(scenario, "finances", "2025")
    expected = _oracle_finances(scenario, 2025)
    assert len(expected) > 20  # the scenario pays people in 2025, several allowance types
    assert files.finances_records(released.path) == expected
    records, people, totals = files.control(released.path)
    assert records == len(expected)
    assert people == len({ssin for ssin, _ in expected})
    oracle_totals = defaultdict(Decimal)
    for (_, allowance), row in expected.items():
        oracle_totals[allowance] += Decimal(row[0])
    assert totals == {k: f"{v:.2f}" for k, v in oracle_totals.items()}
    assert comparison.passed and comparison.in_marts.totals == dict(oracle_totals)
    root = files.parse_valid(released.path)
    assert root.findtext("e:provisional", namespaces=files.NS) == "false"
    assert {row[4] for row in expected.values()} == {"FINAL"}  # 2025 is final at R


def test_release_writes_the_fo_name_then_its_go_file_the_manifest_and_one_audit_record(scenario):
    released, _ = delivery.produce(scenario, "finances", "2025")
    entry = released.entry
    recipient = entry["recipient_cbe"]
    assert released.path.parent == scenario.extracts / "out" / recipient
    assert released.path.name.startswith(f"FO.LWEF.{recipient}.") and released.path.name.endswith(".00001.P.1.1")
    assert released.go_path.name == "GO." + released.path.name.removeprefix("FO.")
    assert released.go_path.read_bytes() == b""
    assert [p.name for p in (scenario.extracts / "staging").iterdir()] == ["finances-2025.lock"]  # nothing else
    manifest = [json.loads(line) for line in (scenario.extracts / "manifest.jsonl").read_text().splitlines()]
    assert [m["file"] for m in manifest] == [released.path.name]
    records, people, totals = files.control(released.path)
    assert manifest[0]["control"] == {"recordCount": records, "distinctSsinCount": people, "totalAmount": totals}
    assert manifest[0]["snapshot_id"] == snapshots.current_id(scenario.published)
    audit = [read_audit_file(p).to_pylist() for p in sorted(scenario.audit.glob("audit-*.jsonl"))]
    extract_records = [r for batch in audit for r in batch if r["channel"] == "EXTRACT"]
    assert len(extract_records) == 1
    record = extract_records[0]
    assert (record["cbe_number"], record["ticket"]) == (recipient, released.path.name)
    assert (record["status_value"], record["status_code"]) == ("DATA_FOUND", "MSG00000")
    assert (record["operation"], record["legal_context"]) == ("LivingWagesWithAmount:extract", "TAX_CONTROL")
    assert (record["period_begin"], record["period_end"]) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_a_rerun_on_the_same_snapshot_gives_the_same_bytes_but_the_creation_timestamp(scenario):
    first, _ = delivery.produce(scenario, "finances", "2025", now=dt.datetime(2026, 7, 4, 10, 0, tzinfo=dt.UTC))
    second, _ = delivery.produce(scenario, "finances", "2025", now=dt.datetime(2026, 7, 4, 11, 0, tzinfo=dt.UTC))
    assert first.path != second.path and second.path.name.endswith(".00002.P.1.1")  # never overwritten
    assert first.path.read_bytes() != second.path.read_bytes()
    assert files.without_timestamp(first.path) == files.without_timestamp(second.path)
    ssh = [delivery.produce(scenario, "ssh", "2026-02")[0].path for _ in range(2)]
    assert files.without_timestamp(ssh[0]) == files.without_timestamp(ssh[1])


def test_a_year_not_final_is_refused_unless_provisional_and_then_the_file_says_so(scenario):
    with pytest.raises(LwwError, match=r"tax year 2026 is not final .* --provisional"):
        delivery.produce(scenario, "finances", "2026")
    assert not (scenario.extracts / "out").exists()
    released, comparison = delivery.produce(scenario, "finances", "2026", provisional=True)
    root = files.parse_valid(released.path)
    assert root.findtext("e:provisional", namespaces=files.NS) == "true"
    assert released.entry["provisional"] is True
    # the months paid so far (2026-01, 2026-02) are final themselves: the year is not, its later months are to come
    assert files.finances_records(released.path) == _oracle_finances(scenario, 2026)
    assert comparison.passed
    with pytest.raises(LwwError, match="no amounts of 2027 are published yet"):
        delivery.produce(scenario, "finances", "2027", provisional=True)


def _day_oracle(home, month: dt.date) -> list[tuple]:
    """The statuses of a month read day by day from the published rights, in Python."""
    snapshot = snapshots.current(home.published)
    with snapshots.connect(snapshot) as connection:
        rights = connection.execute(
            "SELECT ssin, category, pcsa_cbe_number, household_category, begin_date, end_date FROM rights "
            "WHERE status = 'ACTIVE'"
        ).fetchall()
    last = month_end(month)
    days = defaultdict(set)
    for ssin, category, pcsa, household, begin, end in rights:
        day = max(begin, month)
        while day <= min(end or last, last):
            days[(ssin, category, pcsa, household)].add(day)
            day += dt.timedelta(days=1)
    expected = []
    for (ssin, category, pcsa, household), held in days.items():
        for begin, end in oracle.periods(held):
            expected.append((ssin, category, begin.isoformat(), end.isoformat(), pcsa, household))
    return sorted(expected, key=lambda r: (r[0], r[1], r[2], r[4], r[5]))


def test_every_month_the_statuses_equal_the_rights_read_day_by_day(scenario):
    month, held = dt.date(2025, 1, 1), 0
    while month <= dt.date(2026, 7, 1):
        staged = delivery.stage(scenario, "ssh", month.strftime("%Y-%m"))
        assert delivery.verify(scenario, staged).passed
        got = files.statuses(staged.path)
        assert got == _day_oracle(scenario, month), month
        held += len(got)
        month = add_months(month, 1)
    assert held > 100


def test_a_file_whose_figures_differ_from_the_marts_is_not_released(scenario):
    staged = delivery.stage(scenario, "finances", "2025")
    text = staged.path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(i for i, line in enumerate(text) if line.startswith("<record>"))
    staged.path.write_text("".join(text[:first] + text[first + 1 :]), encoding="utf-8")  # a record lost
    comparison = delivery.verify(scenario, staged)
    assert not comparison.passed
    assert any(m.startswith("records recordCount") for m in comparison.mismatches)
    with pytest.raises(LwwError, match="control figures differ from the marts'"):
        delivery.release(scenario, staged)
    assert not (scenario.extracts / "out").exists()
    # a file changed after its check passed is not released either
    staged = delivery.stage(scenario, "finances", "2025")
    assert delivery.verify(scenario, staged).passed
    with staged.path.open("a", encoding="utf-8") as handle:
        handle.write("<!-- edited -->\n")
    with pytest.raises(LwwError, match="changed after its control figures were checked"):
        delivery.release(scenario, staged)
    assert not (scenario.extracts / "out").exists()

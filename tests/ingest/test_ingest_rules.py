"""Every business rule quarantines the whole file, names element, XML line and field, and loads nothing."""

from __future__ import annotations

import pytest

from ingest import ingest_inbox
from tests.ingest.ingest_builders import (
    CPAS_B,
    UNKNOWN_CPAS,
    drop,
    event,
    payment,
    payments_xml,
    rights_xml,
    ssin,
)

# source line where the n-th item of a builder file starts: items are 12 (payments without optional elements)
# lines long; the tests below put the faulty item second, and give the first one no optional element


def load(home, warehouse, kind: str, text: str, name: str = "f.xml"):
    folder = home.payments_inbox if kind == "payments" else home.rights_inbox
    drop(folder, name, text)
    return ingest_inbox(warehouse, home)


def assert_quarantined(home, warehouse, report, rule: str, field: str, line_no: int, name: str = "f.xml"):
    [outcome] = report.quarantined
    rules = {(v.rule, v.field, v.line_no) for v in outcome.violations}
    assert (rule, field, line_no) in rules, rules
    violation = next(v for v in outcome.violations if v.rule == rule)
    assert violation.source_line is not None
    reason = (home.quarantine / f"{name}.reason.txt").read_text()
    assert f"element #{line_no}" in reason
    assert f"field {field}" in reason
    assert f"XML line {violation.source_line}" in reason
    assert f"[{rule}]" in reason
    assert "what to do:" in reason
    files = warehouse.execute("SELECT file_id FROM raw.loaded_files").fetchall()
    assert (outcome.file_id,) not in files
    assert (
        warehouse.execute("SELECT count(*) FROM raw.payment_lines WHERE file_id = ?", [outcome.file_id]).fetchone()[0]
        == 0
    )
    assert (
        warehouse.execute("SELECT count(*) FROM raw.right_events WHERE file_id = ?", [outcome.file_id]).fetchone()[0]
        == 0
    )
    row = warehouse.execute(
        "SELECT file_name, file_id, errors FROM raw.quarantined_files WHERE file_name = ?", [name]
    ).fetchone()
    assert row[0] == name and row[2] >= 1


PAYMENT_CASES = {
    "bad-check-digits": (dict(ssin="85073003329"), "invalid-ssin", "ssin"),
    "serial-000": (dict(ssin="85073000012"), "invalid-ssin", "ssin"),
    "bad-partner": (dict(partnerSsin="85073003329"), "invalid-ssin", "partnerSsin"),
    "period-two-months": (dict(endDate="2026-04-02"), "period-one-month", "period"),
    "end-before-begin": (dict(beginDate="2026-03-10", endDate="2026-03-09"), "period-order", "period/endDate"),
    "rejected-without-code": (dict(decision="REJECTED"), "rejection-code-missing", "rejectionCode"),
    "accepted-with-code": (dict(rejectionCode="R01"), "rejection-code-unexpected", "rejectionCode"),
    "unknown-pcsa": (dict(pcsaCbeNumber=UNKNOWN_CPAS), "unknown-pcsa", "pcsaCbeNumber"),
    "partner-is-beneficiary": (dict(partnerSsin=ssin(1)), "partner-is-beneficiary", "partnerSsin"),
    "duplicate-line-id": (dict(lineId="L1"), "duplicate-line-id", "lineId"),
    "replaces-unknown": (dict(replacesLineId="NOPE"), "replaces-unknown-line", "replacesLineId"),
    "loop": (dict(lineId="L2", replacesLineId="L2"), "replacement-loop", "replacesLineId"),
    "changes-person": (dict(replacesLineId="L1", ssin=ssin(5)), "replacement-changes-person", "ssin"),
    "changes-pcsa": (dict(replacesLineId="L1", pcsaCbeNumber=CPAS_B), "replacement-changes-pcsa", "pcsaCbeNumber"),
    "accepted-before": (
        dict(replacesLineId="L1", acceptanceDate="2026-03-19"),
        "replacement-accepted-before",
        "acceptanceDate",
    ),
}


@pytest.mark.parametrize("case", sorted(PAYMENT_CASES))
def test_a_payment_rule_violation_quarantines_the_file(home, warehouse, case):
    fields, rule, field = PAYMENT_CASES[case]
    second = payment(fields.pop("lineId", "L2"), **fields)
    report = load(home, warehouse, "payments", payments_xml([payment("L1"), second]))
    assert_quarantined(home, warehouse, report, rule, field, 2)


@pytest.mark.parametrize(("field", "value"), [("amount", "10.123"), ("amount", "-10.00")])
def test_amounts_with_three_decimals_or_negative_are_refused(home, warehouse, field, value):
    report = load(home, warehouse, "payments", payments_xml([payment("L1"), payment("L2", amount=value)]))
    assert_quarantined(home, warehouse, report, "schema", "amount", 2)


def test_a_line_id_already_loaded_is_refused(home, warehouse):
    load(home, warehouse, "payments", payments_xml([payment("L1")], file_id="P1"), "a.xml")
    report = load(home, warehouse, "payments", payments_xml([payment("L9"), payment("L1")], file_id="P2"))
    assert_quarantined(home, warehouse, report, "line-id-already-loaded", "lineId", 2)


def test_a_line_replaced_twice_in_the_file_is_refused(home, warehouse):
    lines = [payment("L1"), payment("L2", replacesLineId="L1"), payment("L3", replacesLineId="L1")]
    report = load(home, warehouse, "payments", payments_xml(lines))
    assert_quarantined(home, warehouse, report, "replaced-twice-in-file", "replacesLineId", 3)


def test_a_line_already_replaced_by_a_loaded_line_is_refused(home, warehouse):
    load(home, warehouse, "payments", payments_xml([payment("L1"), payment("L2", replacesLineId="L1")], "P1"), "a.xml")
    report = load(home, warehouse, "payments", payments_xml([payment("L8"), payment("L3", replacesLineId="L1")]))
    assert_quarantined(home, warehouse, report, "already-replaced", "replacesLineId", 2)


def test_replacements_of_loaded_lines_in_later_files_are_accepted(home, warehouse):
    load(home, warehouse, "payments", payments_xml([payment("L1", decision="REJECTED", rejectionCode="R01")], "P1"))
    fix = payment("L2", replacesLineId="L1", acceptanceDate="2026-04-15", partnerSsin=ssin(3), amount="12.00")
    report = load(
        home,
        warehouse,
        "payments",
        payments_xml([fix, payment("L3", replacesLineId="L2", acceptanceDate="2026-04-20")], "P2"),
        "b.xml",
    )
    assert [o.status for o in report.outcomes] == ["loaded"]


def test_a_replacement_of_a_later_line_in_the_same_file_is_refused(home, warehouse):
    report = load(
        home,
        warehouse,
        "payments",
        payments_xml([payment("L1"), payment("L2", replacesLineId="L3"), payment("L3", ssin=ssin(2))]),
    )
    assert_quarantined(home, warehouse, report, "replaces-unknown-line", "replacesLineId", 2)


def test_all_violations_are_reported_not_only_the_first(home, warehouse):
    lines = [payment("L1", ssin="85073003329"), payment("L2", pcsaCbeNumber=UNKNOWN_CPAS), payment("L1")]
    report = load(home, warehouse, "payments", payments_xml(lines))
    [outcome] = report.quarantined
    assert {(v.rule, v.line_no) for v in outcome.violations} == {
        ("invalid-ssin", 1),
        ("unknown-pcsa", 2),
        ("duplicate-line-id", 3),
    }
    assert "3 violation(s)" in (home.quarantine / "f.xml.reason.txt").read_text()


def test_violations_are_capped_but_counted(home, warehouse):
    lines = [payment(f"L{i}", pcsaCbeNumber=UNKNOWN_CPAS) for i in range(1, 131)]
    report = load(home, warehouse, "payments", payments_xml(lines))
    reason = (home.quarantine / "f.xml.reason.txt").read_text()
    assert "130 violation(s), the first 100 listed" in reason
    assert len(report.quarantined[0].violations) == 100


RIGHT_CASES = {
    "decision-before-application": (dict(decisionDate="2026-01-31"), "application-after-decision", "decisionDate"),
    "registration-before-decision": (
        dict(registrationDate="2026-02-19"),
        "decision-after-registration",
        "registrationDate",
    ),
    "end-before-begin": (dict(endDate="2026-02-28"), "period-order", "period/endDate"),
    "duplicate-event-id": (dict(eventId="E1", rightId="R2"), "duplicate-event-id", "eventId"),
    "duplicate-sequence": (dict(eventType="MODIFY"), "duplicate-sequence", "sequence"),
    "modify-changes-person": (dict(sequence="2", eventType="MODIFY", ssin=ssin(7)), "event-changes-person", "ssin"),
    "cancel-changes-pcsa": (
        dict(sequence="2", eventType="CANCEL", pcsaCbeNumber=CPAS_B),
        "event-changes-pcsa",
        "pcsaCbeNumber",
    ),
    "second-create": (dict(sequence="2"), "second-create", "eventType"),
    "unknown-pcsa": (dict(rightId="R2", pcsaCbeNumber=UNKNOWN_CPAS), "unknown-pcsa", "pcsaCbeNumber"),
    "bad-ssin": (dict(rightId="R2", ssin="85073003329"), "invalid-ssin", "ssin"),
}


@pytest.mark.parametrize("case", sorted(RIGHT_CASES))
def test_a_right_rule_violation_quarantines_the_file(home, warehouse, case):
    fields, rule, field = RIGHT_CASES[case]
    second = event(fields.pop("eventId", "E2"), **fields)
    report = load(home, warehouse, "rights", rights_xml([event("E1"), second]))
    assert_quarantined(home, warehouse, report, rule, field, 2)


def test_right_events_are_checked_against_loaded_events(home, warehouse):
    load(home, warehouse, "rights", rights_xml([event("E1")], "R-1"), "a.xml")
    ok = rights_xml([event("E2", sequence="2", eventType="MODIFY", endDate=None)], "R-2")
    assert load(home, warehouse, "rights", ok, "b.xml").loaded
    clash = rights_xml([event("E9", rightId="R7"), event("E3", sequence="2", eventType="CANCEL")], "R-3")
    report = load(home, warehouse, "rights", clash)
    assert_quarantined(home, warehouse, report, "sequence-already-loaded", "sequence", 2)
    again = rights_xml([event("E8", rightId="R8"), event("E1", rightId="R9")], "R-4")
    report = load(home, warehouse, "rights", again, "g.xml")
    assert_quarantined(home, warehouse, report, "event-id-already-loaded", "eventId", 2, "g.xml")
    person = rights_xml([event("E7", rightId="R8"), event("E6", sequence="3", eventType="MODIFY", ssin=ssin(9))], "R-5")
    report = load(home, warehouse, "rights", person, "h.xml")
    assert_quarantined(home, warehouse, report, "event-changes-person", "ssin", 2, "h.xml")


def _right_events(warehouse) -> list[tuple]:
    return warehouse.execute("SELECT right_id, sequence, event_type FROM raw.right_events ORDER BY 1, 2").fetchall()


def test_a_modify_or_cancel_before_its_create_is_loaded_and_waits(home, warehouse):
    """DOMAIN "Rights: binding details": an event arriving before its right's CREATE, in an earlier file or
    earlier in the same file, is loaded (the right does not exist until its CREATE is visible)."""
    early = rights_xml([event("E2", sequence="2", eventType="MODIFY", endDate=None)], "R-1")
    assert [o.status for o in load(home, warehouse, "rights", early, "a.xml").outcomes] == ["loaded"]
    same_file = rights_xml(
        [
            event("E5", rightId="R2", sequence="3", eventType="CANCEL"),
            event("E4", rightId="R2", sequence="2", eventType="MODIFY"),
            event("E3", rightId="R2"),
        ],
        "R-2",
    )
    assert [o.status for o in load(home, warehouse, "rights", same_file, "b.xml").outcomes] == ["loaded"]
    create = rights_xml([event("E1")], "R-3")
    assert [o.status for o in load(home, warehouse, "rights", create, "c.xml").outcomes] == ["loaded"]
    assert _right_events(warehouse) == [
        ("R1", 1, "CREATE"),
        ("R1", 2, "MODIFY"),
        ("R2", 1, "CREATE"),
        ("R2", 2, "MODIFY"),
        ("R2", 3, "CANCEL"),
    ]


def test_a_second_create_of_a_right_is_refused_in_the_file_and_against_loaded_events(home, warehouse):
    load(home, warehouse, "rights", rights_xml([event("E1")], "R-1"), "a.xml")
    again = rights_xml([event("E8", rightId="R8"), event("E2", sequence="2")], "R-2")
    report = load(home, warehouse, "rights", again, "b.xml")
    assert_quarantined(home, warehouse, report, "second-create", "eventType", 2, "b.xml")
    [violation] = [v for v in report.quarantined[0].violations if v.rule == "second-create"]
    assert violation.value == "right R1, already created by an event loaded from file R-1"
    twice = rights_xml([event("E3", rightId="R3"), event("E4", rightId="R3", sequence="2")], "R-3")
    report = load(home, warehouse, "rights", twice, "c.xml")
    assert_quarantined(home, warehouse, report, "second-create", "eventType", 2, "c.xml")
    [violation] = [v for v in report.quarantined[0].violations if v.rule == "second-create"]
    assert violation.value == "right R3, already created by element #1 of this file"
    assert _right_events(warehouse) == [("R1", 1, "CREATE")]


def test_a_create_arriving_after_its_events_must_keep_their_person_and_come_first(home, warehouse):
    early = rights_xml([event("E2", sequence="2", eventType="MODIFY", ssin=ssin(2))], "R-1")
    assert load(home, warehouse, "rights", early, "a.xml").loaded
    report = load(home, warehouse, "rights", rights_xml([event("E0", rightId="R0"), event("E1")], "R-2"), "b.xml")
    assert_quarantined(home, warehouse, report, "event-changes-person", "ssin", 2, "b.xml")
    [violation] = [v for v in report.quarantined[0].violations if v.rule == "event-changes-person"]
    assert violation.value == f"{ssin(2)} -> {ssin(1)}"
    late = rights_xml([event("E0", rightId="R0"), event("E3", sequence="3", ssin=ssin(2))], "R-3")
    report = load(home, warehouse, "rights", late, "c.xml")
    assert_quarantined(home, warehouse, report, "event-before-create", "sequence", 2, "c.xml")
    assert _right_events(warehouse) == [("R1", 2, "MODIFY")]
    in_file = rights_xml(
        [event("E6", rightId="R6", sequence="1", eventType="MODIFY"), event("E7", rightId="R6", sequence="2")], "R-4"
    )
    report = load(home, warehouse, "rights", in_file, "d.xml")
    assert_quarantined(home, warehouse, report, "event-before-create", "sequence", 1, "d.xml")


def test_a_replacement_accepted_before_the_loaded_line_it_replaces_is_refused(home, warehouse):
    """DOMAIN "Current line": a replacing line accepted before the line it replaces is a data error, whether
    that line is earlier in the file (PAYMENT_CASES "accepted-before") or loaded from an earlier file."""
    load(home, warehouse, "payments", payments_xml([payment("L1", acceptanceDate="2026-03-20")], "P1"), "a.xml")
    early = payments_xml([payment("L8", ssin=ssin(8)), payment("L2", replacesLineId="L1", acceptanceDate="2026-03-19")])
    report = load(home, warehouse, "payments", early)
    assert_quarantined(home, warehouse, report, "replacement-accepted-before", "acceptanceDate", 2)
    [violation] = [v for v in report.quarantined[0].violations if v.rule == "replacement-accepted-before"]
    assert violation.value == "2026-03-20 -> 2026-03-19"

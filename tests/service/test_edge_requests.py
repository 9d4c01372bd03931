"""Requests at the edges of the rules (issue 15), on every operation and both channels, against a real service:

- a caller with two integrations of one person (other quality codes), the open-ended one sorting first;
- dates the schema accepts but no answer can hold (years of five digits, negative years, 9990 and later);
- the order of the checks (cbeNumber, authorisation, SSIN, criteria, integration, data), MSG00014 included;
- amounts answered as of A(R), the latest first Saturday on or before R, while rights end an open request at R.

The snapshot here has R = 2026-07-01, a Wednesday: A(R) = 2026-06-06, the first Saturday of June.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from service.schemas import LIVING_WAGES, LIVING_WAGES_V3, LIVING_WAGES_WITH_AMOUNT
from tests.service.conftest import (
    CBE_A,
    CBE_B,
    CTX,
    P_FL,
    P_WA,
    PASSWORD_A,
    USER_A,
    RunningService,
    W,
    X,
    Z,
    _month_row,
    basic,
    d,
    fixture_rows,
    publish,
)
from tests.service.test_soap_answers import Client, spans
from tests.service.test_soap_refusals import envelope, fault_of, post, status_of

R_EDGE = dt.date(2026, 7, 1)
A_EDGE = dt.date(2026, 6, 6)  # A(R_EDGE)
AMOUNT_OP = "getLivingWagesWithAmount"
V3 = "v3:"  # an operation of LivingWages V3 in the parameters (the same names as V2's)
OPERATIONS = (*LIVING_WAGES.operations, AMOUNT_OP, *(V3 + operation for operation in LIVING_WAGES_V3.operations))


def service_of(operation: str):
    """The spec and the operation's name of a parameter of ``OPERATIONS``."""
    if operation.startswith(V3):
        return LIVING_WAGES_V3, operation[len(V3) :]
    return (LIVING_WAGES_WITH_AMOUNT if operation == AMOUNT_OP else LIVING_WAGES), operation


def edge_rows() -> dict[str, list[tuple]]:
    rows = fixture_rows()
    # X twice in A's repertory, in two capacities: the open-ended row begins first (it sorts first)
    rows["integrations"] = [r for r in rows["integrations"] if not (r[0] == CBE_A and r[1] == X)] + [
        (CBE_A, X, "1", d("2024-03-01"), None),
        (CBE_A, X, "2", d("2025-01-01"), d("2025-06-30")),
    ]
    # an advance for July, paid before R: after A(R)'s month, so not in an open-ended amounts answer
    monthly = [(*r[:10], False, *r[11:]) if r[0] == X else r for r in rows["monthly_amounts"]]
    monthly.append(
        _month_row(X, "2026-07", P_WA, "FAMILY_ALLOWANCE_ADVANCE", 1, None, "100.00", True, "PROVISIONAL", True)
    )
    rows["monthly_amounts"] = monthly
    rows["last_indemnified_months"] = [
        (X, "BENEFICIARY", d("2026-07-01")) if r[0] == X else r for r in rows["last_indemnified_months"]
    ]
    return rows


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    home = tmp_path_factory.mktemp("edge")
    with RunningService(home) as running:
        publish(running.settings.published, edge_rows(), reference_date=R_EDGE)
        yield running


class Outcome(NamedTuple):
    http: int
    code: str  # the status code, or the fault's reasonCode
    information: list  # the status's (fieldName, fieldValue), or the fault's diagnostic
    fault: str | None = None  # "Client" or "Server" for a fault


def json_body(operation, ssin, begin, end, cbe, legal_context) -> dict:
    criteria = {"ssin": ssin, "period": {"beginDate": begin, **({"endDate": end} if end else {})}}
    if operation == AMOUNT_OP:
        criteria["grouping"] = "MONTH"
    return {
        "informationCustomer": {"customerIdentification": {"cbeNumber": cbe}},
        "legalContext": legal_context,
        "criteria": criteria,
    }


def ask(running, channel, operation, ssin=X, begin="2026-01-01", end="2026-05-31", cbe=CBE_A, legal_context=CTX):
    spec, operation = service_of(operation)
    if channel == "SOAP":
        body = envelope(spec, operation, ssin, begin, end, cbe, legal_context)
        response = post(running, body, spec=spec, operation=operation)
        if response.status_code == 200:
            _, code, information = status_of(response, spec)  # validated against the XSD
            return Outcome(200, code, information)
        faultcode, reason = fault_of(response, spec)
        return Outcome(response.status_code, reason, [], faultcode.split(":")[-1])
    response = httpx.post(
        f"{running.url}/api/v1/{spec.key}/{operation}",
        json=json_body(operation, ssin, begin, end, cbe, legal_context),
        headers=basic(USER_A, PASSWORD_A),
        timeout=10,
    )
    answer = response.json()
    if response.status_code == 200:
        return Outcome(
            200, answer["status"]["code"], [(i["fieldName"], i["fieldValue"]) for i in answer["status"]["information"]]
        )
    fault = answer["fault"]
    return Outcome(response.status_code, fault["reasonCode"], fault["diagnostic"], fault["faultcode"])


def answer_json(running, operation, **kwargs) -> dict:
    spec, operation = service_of(operation)
    defaults = {"ssin": X, "begin": "2026-01-01", "end": None, "cbe": CBE_A, "legal_context": CTX}
    response = httpx.post(
        f"{running.url}/api/v1/{spec.key}/{operation}",
        json=json_body(operation, **{**defaults, **kwargs}),
        headers=basic(USER_A, PASSWORD_A),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


# -- defect 3: two integrations of one person, the open-ended one first ----------------------------------------
def test_two_integrations_with_the_open_one_first_answer_on_soap(edge):
    rights = Client(edge.url, LIVING_WAGES)
    answer = rights.call("getLivingWagePeriods", X, "2024-01-01")
    assert (answer.status.value, answer.status.code) == ("DATA_FOUND", "MSG00000")
    # the union of both integrations is the open one: clipped from 2024-03-01, the open right ending at R
    assert spans(answer.livingWagePeriod) == [(d("2024-03-01"), d("2024-12-31")), (d("2025-03-01"), R_EDGE)]
    for operation in LIVING_WAGES.operations:
        assert rights.call(operation, X, "2024-01-01").status.code in ("MSG00000", "MSG00100")
        assert rights.call(operation, X, "2025-02-01", "2025-05-31").status.code in ("MSG00000", "MSG00100")
    amounts = Client(edge.url, LIVING_WAGES_WITH_AMOUNT)
    monthly = amounts.call(AMOUNT_OP, X, "2025-12-01", "2026-05-31", grouping="MONTH")
    assert monthly.status.code == "MSG00000" and len(monthly.amount) == 8
    yearly = amounts.call(AMOUNT_OP, X, "2025-01-01", grouping="YEAR")
    assert yearly.status.code == "MSG00000" and [r.year[0] for r in yearly.amount] == [2025, 2026]


def test_two_integrations_with_the_open_one_first_answer_on_json(edge):
    answer = answer_json(edge, "getLivingWagePeriods", begin="2024-01-01")
    assert answer["status"]["code"] == "MSG00000"
    assert answer["livingWagePeriod"] == [
        {"beginDate": "2024-03-01", "endDate": "2024-12-31"},
        {"beginDate": "2025-03-01", "endDate": R_EDGE.isoformat()},
    ]
    per_pcsa = answer_json(edge, "getLivingWagePeriodsPerPCSA", begin="2024-01-01")
    assert [g["pcsaCbeNumber"] for g in per_pcsa["livingWagePeriodsPerPCSA"]] == [P_FL, P_WA]
    amounts = answer_json(edge, AMOUNT_OP, begin="2025-12-01", end="2026-05-31")
    assert amounts["status"]["code"] == "MSG00000" and len(amounts["amount"]) == 8


# -- A(R): amounts as of the latest first Saturday, rights as of R ---------------------------------------------
def test_amounts_answer_as_of_a_of_r_and_rights_as_of_r(edge):
    amounts = Client(edge.url, LIVING_WAGES_WITH_AMOUNT)
    open_ended = amounts.call(AMOUNT_OP, X, "2026-05-01", grouping="MONTH")
    assert open_ended.referenceDate == A_EDGE
    # the open end is A(R) = 2026-06-06: July, paid in advance, is after it (R = 2026-07-01 would include it)
    assert [(r.month[0], r.month[1]) for r in open_ended.amount] == [(2026, 5)] * 3
    assert open_ended.lastMonthIsLastIndemnified is False
    explicit = amounts.call(AMOUNT_OP, X, "2026-05-01", "2026-07-31", grouping="MONTH")
    assert [r.month[1] for r in explicit.amount] == [5, 5, 5, 7] and explicit.lastMonthIsLastIndemnified is True
    assert explicit.referenceDate == A_EDGE
    assert amounts.call(AMOUNT_OP, X, "2026-05-01", grouping="YEAR").referenceDate == A_EDGE
    json_answer = answer_json(edge, AMOUNT_OP, begin="2026-05-01")
    assert json_answer["referenceDate"] == A_EDGE.isoformat() and len(json_answer["amount"]) == 3
    # at most 10 years up to the open end, which is A(R)
    assert ask(edge, "SOAP", AMOUNT_OP, begin="2016-06-06", end=None)[:3] == (
        200,
        "MSG00008",
        [("period", "at most 10 years")],
    )
    assert ask(edge, "JSON", AMOUNT_OP, begin="2016-06-07", end=None).code == "MSG00000"
    # rights still end an open request at R
    rights = Client(edge.url, LIVING_WAGES)
    assert spans(rights.call("getLivingWagePeriods", X, "2026-01-01").livingWagePeriod) == [(d("2026-01-01"), R_EDGE)]


# -- check order (CONTRACT 4.3), MSG00014, defect 5 -------------------------------------------------------------
BAD_SSIN = X[:-2] + f"{(int(X[-2:]) % 97) + 1:02d}"
ORDER_CASES = [
    # each request fails every check from the one expected on
    (
        "cbeNumber",
        dict(cbe=CBE_B, legal_context="none", ssin=BAD_SSIN, begin="2026-05-01", end="2026-04-30"),
        "MSG00014",
        [("cbeNumber", CBE_B)],
    ),
    (
        "authorisation",
        dict(legal_context="none", ssin=BAD_SSIN, begin="2026-05-01", end="2026-04-30"),
        "MSG00013",
        [("legalContext", "none")],
    ),
    ("ssin", dict(ssin=BAD_SSIN, begin="2026-05-01", end="2026-04-30"), "MSG00011", [("ssin", BAD_SSIN)]),
    ("criteria", dict(ssin=Z, begin="2026-05-01", end="2026-04-30"), "MSG00008", [("endDate", "2026-04-30")]),
    (
        "integration",
        dict(ssin=Z, begin="2026-01-01", end="2026-05-31"),
        "MSG00012",
        [("ssin", Z), ("cbeNumber", CBE_A)],
    ),
    # an open request beginning after R (and A(R)): not integrated is still MSG00012 (the amounts skipped it)
    (
        "integration, after R",
        dict(ssin=Z, begin="2027-01-01", end=None),
        "MSG00012",
        [("ssin", Z), ("cbeNumber", CBE_A)],
    ),
    (
        "integration, after A(R)",
        dict(ssin=Z, begin="2026-06-20", end=None),
        "MSG00012",
        [("ssin", Z), ("cbeNumber", CBE_A)],
    ),
    ("data, after R", dict(ssin=X, begin="2027-01-01", end=None), "MSG00100", []),
    (
        "integration clipped",
        dict(ssin=W, begin="2026-04-01", end=None),
        "MSG00012",
        [("ssin", W), ("cbeNumber", CBE_A)],
    ),
]


@pytest.mark.parametrize("name, request_, code, information", ORDER_CASES, ids=[case[0] for case in ORDER_CASES])
@pytest.mark.parametrize("channel", ["SOAP", "JSON"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_checks_run_in_contract_order_on_every_operation(edge, operation, channel, name, request_, code, information):
    outcome = ask(edge, channel, operation, **request_)
    assert (outcome.http, outcome.code, outcome.information) == (200, code, information)


def test_cbe_number_not_the_callers_is_msg00014_on_json(edge):
    answer = answer_json(edge, "getLivingWages", cbe=CBE_B)
    assert answer["status"] == {
        "value": "NO_RESULT",
        "code": "MSG00014",
        "description": "The customer identification does not match the credentials of the caller",
        "information": [{"fieldName": "cbeNumber", "fieldValue": CBE_B}],
    }


# -- defect 4: every date the schema accepts is answered, never an internal error -------------------------------
def xs_date(year: int, month: int, day: int) -> str:
    return f"{'-' if year < 0 else ''}{abs(year):04d}-{month:02d}-{day:02d}"


YEARS = st.one_of(st.integers(-9999, 99999), st.integers(9985, 10001), st.integers(-2, 3), st.integers(1990, 2030))
DATES = st.builds(xs_date, YEARS, st.integers(1, 12), st.integers(1, 31))


def in_range(text: str | None) -> bool:
    return text is None or (not text.startswith("-") and len(text) == 10 and text[:4] != "0000")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    operation=st.sampled_from(OPERATIONS), begin=DATES, end=st.none() | DATES, channel=st.sampled_from(["SOAP", "JSON"])
)
@example(operation=AMOUNT_OP, begin="9990-01-01", end=None, channel="SOAP")
@example(operation=AMOUNT_OP, begin="9995-03-01", end=None, channel="JSON")
@example(operation="getLivingWagePeriods", begin="9999-12-31", end=None, channel="SOAP")
@example(operation=AMOUNT_OP, begin="10000-01-01", end=None, channel="SOAP")
@example(operation="getLivingWages", begin="-0001-01-01", end="2026-01-01", channel="SOAP")
@example(operation="getLivingWagePeriodsPerPCSA", begin="2026-01-01", end="12026-01-01", channel="SOAP")
@example(operation=AMOUNT_OP, begin="0001-01-01", end="0001-12-31", channel="JSON")
def test_dates_the_schema_accepts_never_give_an_internal_error(edge, operation, begin, end, channel):
    outcome = ask(edge, channel, operation, begin=begin, end=end)
    event(f"{channel} HTTP {outcome.http} {outcome.code}")
    assert outcome.code != "MSG00003" and outcome.fault != "Server", outcome
    if outcome.http != 200:  # refused by the schema (SOAP: a soap:Client fault; JSON: a 400 naming the date)
        assert outcome.fault == "Client" and outcome.code == "MSG00008", outcome
        assert (outcome.http, channel) in ((500, "SOAP"), (400, "JSON")), outcome
        if channel == "JSON":
            assert "criteria.period." in outcome.information, outcome
        return
    if not in_range(begin):  # schema-valid, beyond what a date of the service holds: the client's error
        assert (outcome.code, outcome.information) == ("MSG00008", [("beginDate", begin)])
    elif not in_range(end):
        assert (outcome.code, outcome.information) == ("MSG00008", [("endDate", end)])
    else:
        assert outcome.code in ("MSG00000", "MSG00100", "MSG00008", "MSG00012"), outcome
        if outcome.code == "MSG00008":
            assert outcome.information[0][0] in ("endDate", "period"), outcome


def test_a_refused_date_leaves_a_loadable_audit_record(service):
    from ingest.audit_log import read_audit_file

    assert ask(service, "SOAP", AMOUNT_OP, begin="10000-01-01", end=None)[:2] == (200, "MSG00008")
    assert ask(service, "SOAP", "getLivingWages", begin="2026-01-01", end="-0005-02-03")[:2] == (200, "MSG00008")
    records = service.audit_records()
    assert [(r["status_code"], r["period_begin"], r["period_end"]) for r in records] == [
        ("MSG00008", None, None),
        ("MSG00008", "2026-01-01", None),
    ]
    for path in service.settings.audit.glob("audit-*.jsonl"):
        read_audit_file(path)  # the audit's dates are DATE columns: an unloadable record would stop the refresh

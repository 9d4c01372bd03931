"""LivingWages V3 (CONTRACT section 4.5) against a real service: every operation through zeep from the served WSDL,
the JSON mirror, the rows merged per grouping and household category with their decision date and last event,
what an authorisation withholds (left out, not split on, listed in ``dataFilters``), and V2 unchanged beside it.

The person V of this module (R = 2026-07-04; institution A sees V from 2024-01-01, open-ended):

=====  =====  ======================  ==  =======================  ==========  ========================
right  CPAS   category                hc  period                   decided     made by (registered)
=====  =====  ======================  ==  =======================  ==========  ========================
r10    P_FL   LIVING_WAGE             2   2024-01-01..2024-06-30   2023-12-15  CREATE 1 (2023-12-20)
r11    P_FL   LIVING_WAGE             2   2024-07-01..2024-12-31   2024-06-20  MODIFY 2 (2024-06-25)
r12    P_WA   EQUIVALENT_LIVING_WAGE  3   2025-01-01..2025-06-30   2024-12-10  CREATE 1 (2024-12-12)
r13    P_WA   LIVING_WAGE             2   2024-10-01..2025-03-31   2024-09-01  MODIFY 3 (2024-12-12)
r15    P_WA   LIVING_WAGE             1   2025-09-01..open         2025-08-20  CREATE 1 (2025-08-25)
r14    P_WA   LIVING_WAGE             1   2023 (CANCELLED: never shown)
=====  =====  ======================  ==  =======================  ==========  ========================

r12 and r13 were registered the same day: merged together, the later ``sequence`` (r13's MODIFY 3) is the last
event. Institution C withholds the household category and the decision date under ``LivingWages:*`` and only
the household category under ``getLivingWagePeriodsPerPCSA`` (an element is withheld when every valid
authorisation withholds it); under another legal context C's ``getLivingWages`` withholds the CPAS and the last
event. Institution B sees V only from 2024-01-01 to 2024-05-31.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import httpx
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kernel.identifiers import cbe_with_check, ssin_with_check
from service import periods as P
from service.consult import _merged_rows, _State
from service.schemas import LIVING_WAGES, LIVING_WAGES_V3, SOAP_ENV, validator
from tests.service.conftest import (
    _FAST,
    CBE_A,
    CBE_B,
    CTX,
    P_FL,
    P_WA,
    PASSWORD_A,
    PASSWORD_B,
    USER_A,
    USER_B,
    RunningService,
    X,
    basic,
    d,
    fixture_rows,
    publish,
)
from tests.service.test_soap_answers import Client, spans
from tests.service.test_soap_refusals import envelope, post

R = dt.date(2026, 7, 4)
V = ssin_with_check("920505", 127, False)
CBE_C = cbe_with_check(2_000_003)
USER_C, PASSWORD_C = "forem", "secret-c"
CTX_C = "FOREM-guidance"
CTX_C2 = "FOREM-housing"
OPERATIONS = LIVING_WAGES.operations


def _right(rid, pcsa, category, household, begin, end, decided, event, sequence, registered, status="ACTIVE"):
    return (
        rid,
        V,
        pcsa,
        category,
        household,
        d(begin),
        d(end) if end else None,
        status,
        True,
        d("2023-12-01"),
        d("2023-12-15"),  # decision_date: the CREATE's
        d("2023-12-20"),
        event,
        sequence,
        d(registered),
        sequence,
        d(decided),  # state_decision_date: the current state's
    )


def v3_rows() -> dict[str, list[tuple]]:
    rows = fixture_rows()
    rows["rights"] += [
        _right("r10", P_FL, "LIVING_WAGE", 2, "2024-01-01", "2024-06-30", "2023-12-15", "CREATE", 1, "2023-12-20"),
        _right("r11", P_FL, "LIVING_WAGE", 2, "2024-07-01", "2024-12-31", "2024-06-20", "MODIFY", 2, "2024-06-25"),
        _right(
            "r12",
            P_WA,
            "EQUIVALENT_LIVING_WAGE",
            3,
            "2025-01-01",
            "2025-06-30",
            "2024-12-10",
            "CREATE",
            1,
            "2024-12-12",
        ),
        _right("r13", P_WA, "LIVING_WAGE", 2, "2024-10-01", "2025-03-31", "2024-09-01", "MODIFY", 3, "2024-12-12"),
        _right("r15", P_WA, "LIVING_WAGE", 1, "2025-09-01", None, "2025-08-20", "CREATE", 1, "2025-08-25"),
        _right(
            "r14",
            P_WA,
            "LIVING_WAGE",
            1,
            "2023-01-01",
            "2023-12-31",
            "2023-01-01",
            "CANCEL",
            2,
            "2023-06-01",
            "CANCELLED",
        ),
    ]
    rows["rights"].sort(key=lambda r: (r[1], r[2], r[3], r[5]))
    rows["institution_credentials"].append((CBE_C, USER_C, _FAST.hash(PASSWORD_C)))
    rows["authorizations"] += [
        (CBE_C, "LivingWages:*", CTX_C, "18/186", d("2020-01-01"), None, "householdCategory;decisionDate"),
        (CBE_C, "getLivingWagePeriodsPerPCSA", CTX_C, "18/186", d("2020-01-01"), None, "householdCategory"),
        (CBE_C, "getLivingWages", CTX_C2, "16/087", d("2020-01-01"), None, "pcsaCbeNumber;lastEvent"),
    ]
    rows["integrations"] += [
        (CBE_A, V, "1", d("2024-01-01"), None),
        (CBE_B, V, "1", d("2024-01-01"), d("2024-05-31")),
        (CBE_C, V, "1", d("2020-01-01"), None),
    ]
    return rows


@pytest.fixture(scope="module")
def v3(tmp_path_factory):
    # the WSDL's address is where the client reached the service unless a public URL is configured: a test that
    # ran lww serve's main in this process may have left one in the environment
    with pytest.MonkeyPatch.context() as patch, RunningService(tmp_path_factory.mktemp("v3")) as running:
        patch.delenv("LWW_SERVICE_PUBLIC_URL", raising=False)
        publish(running.settings.published, v3_rows(), reference_date=R)
        yield running


class Row(NamedTuple):
    begin: dt.date
    end: dt.date
    household: int | None
    decided: dt.date | None
    event: tuple[str, dt.date] | None


def row(begin, end, household, decided, event=None, registered=None) -> Row:
    return Row(d(begin), d(end), household, d(decided) if decided else None, (event, d(registered)) if event else None)


def soap_rows(periods) -> list[Row]:
    return [
        Row(
            p.beginDate,
            p.endDate,
            p.householdCategory,
            p.decisionDate,
            (p.lastEvent.type, p.lastEvent.registrationDate) if p.lastEvent is not None else None,
        )
        for p in periods
    ]


def json_rows(periods) -> list[Row]:
    return [
        Row(
            d(p["beginDate"]),
            d(p["endDate"]),
            p.get("householdCategory"),
            d(p["decisionDate"]) if "decisionDate" in p else None,
            (p["lastEvent"]["type"], d(p["lastEvent"]["registrationDate"])) if "lastEvent" in p else None,
        )
        for p in periods
    ]


def filters(answer) -> list[str]:
    return list(answer.dataFilters.filteredElement) if answer.dataFilters is not None else []


HC2_ALL = row("2024-01-01", "2025-03-31", 2, "2024-09-01", "MODIFY", "2024-12-12")  # r10 + r11 + r13
HC3 = row("2025-01-01", "2025-06-30", 3, "2024-12-10", "CREATE", "2024-12-12")  # r12
OPEN = row("2025-09-01", R.isoformat(), 1, "2025-08-20", "CREATE", "2025-08-25")  # r15, ending at R
FLEMISH = row("2024-01-01", "2024-12-31", 2, "2024-06-20", "MODIFY", "2024-06-25")  # r10 + r11
R13 = row("2024-10-01", "2025-03-31", 2, "2024-09-01", "MODIFY", "2024-12-12")

# What institution A (nothing withheld) gets for V from 2024-01-01, open-ended, per operation.
EXPECTED_A = {
    "getLivingWagePeriods": [HC2_ALL, HC3, OPEN],  # r11 and r12 are adjacent, but of other household categories
    "getLivingWagePeriodsFlanders": [FLEMISH],
    "getLivingWagePeriodsPerPCSA": [((P_FL,), [FLEMISH]), ((P_WA,), [R13, HC3, OPEN])],
    "getLivingWagePeriodsPerPCSAFlanders": [((P_FL,), [FLEMISH])],
    "getLivingWages": [
        ((P_FL, "LIVING_WAGE"), [FLEMISH]),
        ((P_WA, "EQUIVALENT_LIVING_WAGE"), [HC3]),
        ((P_WA, "LIVING_WAGE"), [R13, OPEN]),
    ],
}


def soap_payload(operation: str, answer) -> list:
    if operation.startswith("getLivingWagePeriodsPerPCSA"):
        return [((g.pcsaCbeNumber,), soap_rows(g.livingWagePeriod)) for g in answer.livingWagePeriodsPerPCSA]
    if operation == "getLivingWages":
        return [((g.pcsaCbeNumber, g.category), soap_rows(g.livingWagePeriod)) for g in answer.livingWages]
    return soap_rows(answer.livingWagePeriod)


def json_payload(operation: str, answer: dict) -> list:
    if operation.startswith("getLivingWagePeriodsPerPCSA"):
        return [
            ((g.get("pcsaCbeNumber"),), json_rows(g["livingWagePeriod"])) for g in answer["livingWagePeriodsPerPCSA"]
        ]
    if operation == "getLivingWages":
        return [
            ((g.get("pcsaCbeNumber"), g.get("category")), json_rows(g["livingWagePeriod"]))
            for g in answer["livingWages"]
        ]
    return json_rows(answer["livingWagePeriod"])


def ask_json(running, operation, *, user=USER_A, password=PASSWORD_A, cbe=CBE_A, ctx=CTX, begin="2024-01-01", end=None):
    period = {"beginDate": begin, **({"endDate": end} if end else {})}
    response = httpx.post(
        f"{running.url}/api/v1/{LIVING_WAGES_V3.key}/{operation}",
        json={
            "informationCustomer": {"customerIdentification": {"cbeNumber": cbe}},
            "legalContext": ctx,
            "criteria": {"ssin": V, "period": period},
        },
        headers=basic(user, password),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


# -- the WSDL --------------------------------------------------------------------------------------------------
def test_the_v3_wsdl_is_served_with_v3_namespaces_and_v2_soap_actions(v3):
    wsdl = etree.fromstring(requests.get(f"{v3.url}/soap/LivingWagesService/v3?wsdl", timeout=5).content)
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}
    assert wsdl.get("targetNamespace") == "http://kszbcss.fgov.be/intf/LivingWagesService/v3"
    assert "reconstruction" in wsdl.findtext("w:documentation", namespaces=ns)
    assert [e.get("name") for e in wsdl.findall("w:portType", ns)] == ["LivingWagesPortType"]
    assert [e.get("name") for e in wsdl.findall("w:binding", ns)] == ["LivingWagesServiceHTTPBinding"]
    port = wsdl.find("w:service[@name='LivingWagesService']/w:port[@name='LivingWagesService']", ns)
    assert port.find("s:address", ns).get("location") == f"{v3.url}/soap/LivingWagesService/v3"
    actions = sorted(op.get("soapAction") for op in wsdl.iterfind(".//s:operation", ns))
    assert actions == sorted(LIVING_WAGES.soap_action(op) for op in OPERATIONS)  # V2's, version-free
    for name in ("LivingWagesServiceV3.xsd", "LivingWagesV3.xsd", "CommonV3.xsd"):
        served = requests.get(f"{v3.url}/soap/LivingWagesService/{name}", timeout=5)
        assert served.status_code == 200 and b"<xs:schema" in served.content


def test_the_v3_types_say_what_may_be_withheld_as_the_reference_loader_does():
    from kernel.codes import WITHHOLDABLE_ELEMENTS
    from service.schemas import SCHEMA_DIR

    types = etree.parse(str(SCHEMA_DIR / "LivingWagesV3.xsd"))
    xs = {"xs": "http://www.w3.org/2001/XMLSchema"}
    enumerated = types.xpath("//xs:simpleType[@name='FilteredElementType']//xs:enumeration/@value", namespaces=xs)
    assert tuple(enumerated) == WITHHOLDABLE_ELEMENTS
    # every element that may be withheld is optional wherever it appears in a V3 row or group
    for name in WITHHOLDABLE_ELEMENTS:
        declared = types.xpath(f"//xs:complexType//xs:element[@name='{name}']", namespaces=xs)
        assert declared and all(e.get("minOccurs") == "0" for e in declared), name


# -- every operation, through zeep and JSON -------------------------------------------------------------------
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_answers_v3_rows_on_soap_and_json_alike(v3, operation):
    answer = Client(v3.url, LIVING_WAGES_V3).call(operation, V, "2024-01-01")  # validated against the V3 XSDs
    assert (answer.status.value, answer.status.code) == ("DATA_FOUND", "MSG00000")
    assert answer.dataFilters is None
    assert soap_payload(operation, answer) == EXPECTED_A[operation]
    mirrored = ask_json(v3, operation)
    assert mirrored["status"]["code"] == "MSG00000" and "dataFilters" not in mirrored
    assert json_payload(operation, mirrored) == EXPECTED_A[operation]


def test_periods_merge_per_household_category_with_the_latest_decision_and_event(v3):
    """r10, r11 and r13 (category 2) make one row: the latest decision (r13's, 2024-09-01, though r11 ends later)
    and the latest event by registration date, then sequence (r13's MODIFY 3 over r12's CREATE 1, the same day,
    but r12 is of category 3 and starts its own row)."""
    answer = Client(v3.url, LIVING_WAGES_V3).call("getLivingWagePeriods", V, "2024-01-01", "2024-12-31")
    assert soap_rows(answer.livingWagePeriod) == [
        row("2024-01-01", "2024-12-31", 2, "2024-09-01", "MODIFY", "2024-12-12")
    ]
    later = Client(v3.url, LIVING_WAGES_V3).call("getLivingWagePeriods", V, "2025-04-01", "2025-12-31")
    assert soap_rows(later.livingWagePeriod) == [
        row("2025-04-01", "2025-06-30", 3, "2024-12-10", "CREATE", "2024-12-12"),
        row("2025-09-01", "2025-12-31", 1, "2025-08-20", "CREATE", "2025-08-25"),  # open: ends at the asked end
    ]


def test_a_state_outside_what_the_caller_sees_says_nothing_of_its_decision_or_event(v3):
    """B sees V until 2024-05-31 only: r11 and r13, merged into the same run, are outside it."""
    answer = Client(v3.url, LIVING_WAGES_V3, USER_B, PASSWORD_B).call(
        "getLivingWagePeriods", V, "2024-01-01", cbe=CBE_B, legal_context="INAMI-health"
    )
    assert soap_rows(answer.livingWagePeriod) == [
        row("2024-01-01", "2024-05-31", 2, "2023-12-15", "CREATE", "2023-12-20")
    ]


# -- withheld elements -----------------------------------------------------------------------------------------
def test_withheld_household_category_merges_per_grouping_only_and_is_listed(v3):
    client = Client(v3.url, LIVING_WAGES_V3, USER_C, PASSWORD_C)
    answer = client.call("getLivingWagePeriods", V, "2024-01-01", cbe=CBE_C, legal_context=CTX_C)
    assert filters(answer) == ["householdCategory", "decisionDate"]
    # r10..r13 make one run (the split by category would reveal it); the last event: r13's MODIFY, sequence 3
    assert soap_rows(answer.livingWagePeriod) == [
        row("2024-01-01", "2025-06-30", None, None, "MODIFY", "2024-12-12"),
        row("2025-09-01", R.isoformat(), None, None, "CREATE", "2025-08-25"),
    ]
    payload = client.history.last_received["envelope"].find(f"{{{SOAP_ENV}}}Body")[0]
    assert payload.find(".//householdCategory") is None and payload.find(".//decisionDate") is None
    # the same on the JSON mirror, and the elements are absent, not null
    mirrored = ask_json(v3, "getLivingWagePeriods", user=USER_C, password=PASSWORD_C, cbe=CBE_C, ctx=CTX_C)
    assert mirrored["dataFilters"] == {"filteredElement": ["householdCategory", "decisionDate"]}
    assert json_rows(mirrored["livingWagePeriod"]) == soap_rows(answer.livingWagePeriod)
    assert all("householdCategory" not in p and "decisionDate" not in p for p in mirrored["livingWagePeriod"])


def test_an_element_is_withheld_only_when_every_valid_authorisation_withholds_it(v3):
    client = Client(v3.url, LIVING_WAGES_V3, USER_C, PASSWORD_C)
    answer = client.call("getLivingWagePeriodsPerPCSA", V, "2024-01-01", cbe=CBE_C, legal_context=CTX_C)
    assert filters(answer) == ["householdCategory"]  # the operation's own authorisation grants the decision date
    assert soap_payload("getLivingWagePeriodsPerPCSA", answer) == [
        ((P_FL,), [row("2024-01-01", "2024-12-31", None, "2024-06-20", "MODIFY", "2024-06-25")]),
        (
            (P_WA,),
            [
                row("2024-10-01", "2025-06-30", None, "2024-12-10", "MODIFY", "2024-12-12"),  # r13 + r12
                row("2025-09-01", R.isoformat(), None, "2025-08-20", "CREATE", "2025-08-25"),
            ],
        ),
    ]


def test_a_withheld_cpas_is_left_out_and_not_split_on(v3):
    client = Client(v3.url, LIVING_WAGES_V3, USER_C, PASSWORD_C)
    answer = client.call("getLivingWages", V, "2024-01-01", cbe=CBE_C, legal_context=CTX_C2)
    assert filters(answer) == ["pcsaCbeNumber", "lastEvent"]
    assert soap_payload("getLivingWages", answer) == [
        ((None, "EQUIVALENT_LIVING_WAGE"), [row("2025-01-01", "2025-06-30", 3, "2024-12-10")]),
        (
            (None, "LIVING_WAGE"),  # the Flemish and the Walloon rights of category 2 in one run
            [row("2024-01-01", "2025-03-31", 2, "2024-09-01"), row("2025-09-01", R.isoformat(), 1, "2025-08-20")],
        ),
    ]
    mirrored = ask_json(v3, "getLivingWages", user=USER_C, password=PASSWORD_C, cbe=CBE_C, ctx=CTX_C2)
    assert json_payload("getLivingWages", mirrored) == soap_payload("getLivingWages", answer)
    assert mirrored["dataFilters"] == {"filteredElement": ["pcsaCbeNumber", "lastEvent"]}


def test_data_filters_come_with_every_answer_after_the_authorisation(v3):
    client = Client(v3.url, LIVING_WAGES_V3, USER_C, PASSWORD_C)
    nothing = client.call("getLivingWagePeriods", V, "2026-08-01", cbe=CBE_C, legal_context=CTX_C)
    assert nothing.status.code == "MSG00100" and filters(nothing) == ["householdCategory", "decisionDate"]
    refused = client.call("getLivingWagePeriods", V, "2024-01-01", cbe=CBE_C, legal_context="none")
    assert refused.status.code == "MSG00013" and refused.dataFilters is None


# -- V2 beside V3 ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("caller", ["A", "C"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_v2_answers_the_same_periods_and_ignores_what_is_withheld(v3, operation, caller):
    user, password, cbe, ctx = (USER_A, PASSWORD_A, CBE_A, CTX) if caller == "A" else (USER_C, PASSWORD_C, CBE_C, CTX_C)
    if caller == "C" and operation == "getLivingWages":
        ctx = CTX_C2
    v2 = Client(v3.url, LIVING_WAGES, user, password).call(operation, V, "2024-01-01", cbe=cbe, legal_context=ctx)
    expected = EXPECTED_A[operation]  # V3's rows for A, merged whatever their household category: V2's periods
    if operation.startswith("getLivingWagePeriodsPerPCSA"):
        got = [((g.pcsaCbeNumber,), spans(g.livingWagePeriod)) for g in v2.livingWagePeriodsPerPCSA]
        assert got == [(key, P.merge((r.begin, r.end) for r in rows)) for key, rows in expected]
    elif operation == "getLivingWages":
        got = [((g.pcsaCbeNumber, g.category), spans(g.livingWagePeriod)) for g in v2.livingWages]
        assert got == [(key, P.merge((r.begin, r.end) for r in rows)) for key, rows in expected]
    else:
        assert spans(v2.livingWagePeriod) == P.merge((r.begin, r.end) for r in expected)


def test_v2_answers_of_the_fixture_people_are_unchanged(v3):
    rights = Client(v3.url, LIVING_WAGES)
    answer = rights.call("getLivingWagePeriods", X, "2024-01-01")
    assert spans(answer.livingWagePeriod) == [(d("2024-03-01"), d("2024-12-31")), (d("2025-03-01"), R)]
    body = envelope(
        LIVING_WAGES, "getLivingWagePeriods", ssin=V, begin="2024-01-01", end=None, cbe=CBE_C, legal_context=CTX_C
    )
    response = post(v3, body, spec=LIVING_WAGES, operation="getLivingWagePeriods", auth=(USER_C, PASSWORD_C))
    payload = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body")[0]
    assert validator(LIVING_WAGES).validate(payload), validator(LIVING_WAGES).error_log
    assert payload.find("dataFilters") is None and payload.find(".//householdCategory") is None


def test_v3_requests_are_audited_and_refused_alike(v3):
    before = len(v3.audit_records())
    client = Client(v3.url, LIVING_WAGES_V3)
    assert client.call("getLivingWages", V, "2024-01-01").status.code == "MSG00000"
    assert client.call("getLivingWages", V, "2024-01-01", cbe=CBE_B).status.code == "MSG00014"
    assert ask_json(v3, "getLivingWagePeriods", cbe=CBE_B)["status"]["code"] == "MSG00014"
    records = v3.audit_records()[before:]
    assert [(r["channel"], r["operation"], r["status_code"]) for r in records] == [
        ("SOAP", "getLivingWages", "MSG00000"),
        ("SOAP", "getLivingWages", "MSG00014"),
        ("JSON", "getLivingWagePeriods", "MSG00014"),
    ]
    # a V2 request on the V3 endpoint is not a V3 request (its namespace): a client fault
    body = envelope(LIVING_WAGES, "getLivingWages", ssin=V, begin="2024-01-01", end=None)
    response = post(v3, body, spec=LIVING_WAGES_V3, operation="getLivingWages")
    assert response.status_code == 500 and b"is not a request of LivingWagesService v3" in response.content


def test_the_openapi_document_describes_the_v3_mirror(v3):
    document = httpx.get(f"{v3.url}/api/v1/openapi.json", timeout=10).json()
    for operation in OPERATIONS:
        assert f"/api/v1/LivingWagesV3/{operation}" in document["paths"]
        assert f"/api/v1/LivingWages/{operation}" in document["paths"]
    schemas = document["components"]["schemas"]
    assert {"beginDate", "endDate", "householdCategory", "decisionDate", "lastEvent"} <= set(
        schemas["PeriodV3"]["properties"]
    )
    assert "dataFilters" in schemas["LivingWagePeriodsV3Response"]["properties"]
    assert "dataFilters" not in schemas["LivingWagePeriodsResponse"]["properties"]


# -- the merge, for any states and windows ---------------------------------------------------------------------
DAY0 = dt.date(2024, 1, 1)
days = st.integers(0, 200).map(lambda n: DAY0 + dt.timedelta(days=n))


@st.composite
def states(draw):
    begin = draw(days)
    end = begin + dt.timedelta(days=draw(st.integers(0, 60)))
    decided = begin - dt.timedelta(days=draw(st.integers(0, 40)))
    event = (
        decided + dt.timedelta(days=draw(st.integers(0, 3))),
        draw(st.integers(1, 4)),
        draw(st.sampled_from(["CREATE", "MODIFY"])),
    )
    return _State(begin, end, decided, event)


@st.composite
def windows(draw):
    bounds = sorted(draw(st.lists(days, min_size=2, max_size=6, unique=True)))
    pairs = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds) - 1, 2)]
    return P.merge(pairs)


@settings(max_examples=300, deadline=None)
@given(st.lists(states(), min_size=1, max_size=8), windows(), st.booleans(), st.booleans())
def test_merged_rows_cover_v2_periods_and_say_the_latest_of_what_they_overlap(found, seen, decision, event):
    rows = _merged_rows(found, seen, 2, decision, event)
    # the rows are V2's periods of these states: merged, clipped to the windows
    assert [(r.begin, r.end) for r in rows] == P.clip(P.merge((s.begin, s.end) for s in found), seen)
    for r in rows:
        overlapping = [s for s in found if s.begin <= r.end and r.begin <= s.end]
        assert r.household_category == 2
        assert r.decision_date == (max(s.decision_date for s in overlapping) if decision else None)
        latest = max(s.event for s in overlapping)
        assert r.last_event == ((latest[2], latest[0]) if event else None)


def test_a_snapshot_published_before_v3_is_still_served(tmp_path, monkeypatch):
    """``lww rollback`` may serve a snapshot published before the rights' state_decision_date and the
    authorisations' withheld column: V2 answers as before, V3 with the CREATE's decision date, nothing withheld."""
    import duckdb

    from kernel import published, snapshots

    monkeypatch.delenv("LWW_SERVICE_PUBLIC_URL", raising=False)  # as in the v3 fixture
    rows = v3_rows()
    rows["rights"] = [r[:-1] for r in rows["rights"]]
    rows["authorizations"] = [r[:-1] for r in rows["authorizations"]]
    with RunningService(tmp_path) as running:
        published_dir = running.settings.published
        refresh_id = snapshots.new_refresh_id(R)
        with duckdb.connect(str(snapshots.staging_path(published_dir, refresh_id))) as con:
            for table in (*published.TABLES, published.SNAPSHOT_INFO):
                con.execute(table.ddl())
            con.execute("ALTER TABLE rights DROP COLUMN state_decision_date")
            con.execute("ALTER TABLE authorizations DROP COLUMN withheld")
            for name, table_rows in rows.items():
                if table_rows:
                    marks = ", ".join("?" * len(table_rows[0]))
                    con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', table_rows)
            con.execute("INSERT INTO snapshot_info VALUES (?, ?, ?, ?)", [refresh_id, R, R, dt.datetime.now()])
        snapshots.commit(published_dir, refresh_id, {"reference_date": R.isoformat()})
        v2 = Client(running.url, LIVING_WAGES).call("getLivingWagePeriods", V, "2024-01-01")
        assert spans(v2.livingWagePeriod) == [(d("2024-01-01"), d("2025-06-30")), (d("2025-09-01"), R)]
        client = Client(running.url, LIVING_WAGES_V3, USER_C, PASSWORD_C)
        answer = client.call("getLivingWagePeriods", V, "2024-01-01", cbe=CBE_C, legal_context=CTX_C)
        assert answer.dataFilters is None
        assert [(r.begin, r.household, r.decided) for r in soap_rows(answer.livingWagePeriod)] == [
            (d("2024-01-01"), 2, d("2023-12-15")),  # every fixture right's CREATE was decided on 2023-12-15
            (d("2025-01-01"), 3, d("2023-12-15")),
            (d("2025-09-01"), 1, d("2023-12-15")),
        ]

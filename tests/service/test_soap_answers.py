"""Every operation through zeep (a real SOAP client loading the WSDL from the running service), answers checked
against the fixture snapshot; every response also validated against the project's own XSDs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import requests
import zeep
from lxml import etree
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport

from service.schemas import LIVING_WAGES, LIVING_WAGES_WITH_AMOUNT, SOAP_ENV, validator
from tests.service.conftest import (
    CBE_A,
    CTX,
    P_FL,
    P_WA,
    PASSWORD_A,
    USER_A,
    RunningService,
    W,
    X,
    Y,
    d,
    fixture_rows,
    home_with_fixture,
    publish,
)


class Client:
    def __init__(self, url: str, spec, user: str = USER_A, password: str = PASSWORD_A) -> None:
        session = requests.Session()
        session.auth = (user, password)
        self.history = HistoryPlugin()
        self.spec = spec
        self.zeep = zeep.Client(f"{url}{spec.path}?wsdl", transport=Transport(session=session), plugins=[self.history])

    def call(
        self,
        operation: str,
        ssin: str,
        begin: str,
        end: str | None = None,
        cbe: str = CBE_A,
        legal_context: str = CTX,
        **criteria,
    ):
        period = {"beginDate": d(begin)}
        if end:
            period["endDate"] = d(end)
        result = getattr(self.zeep.service, operation)(
            informationCustomer={"ticket": "t-1", "customerIdentification": {"cbeNumber": cbe}},
            legalContext=legal_context,
            criteria={
                "ssin": ssin,
                **({"personRole": criteria["role"]} if "role" in criteria else {}),
                "period": period,
                **({"grouping": criteria["grouping"]} if "grouping" in criteria else {}),
            },
        )
        envelope = self.history.last_received["envelope"]
        payload = envelope.find(f"{{{SOAP_ENV}}}Body")[0]
        assert validator(self.spec).validate(payload), validator(self.spec).error_log
        return result


def spans(periods) -> list[tuple[dt.date, dt.date]]:
    return [(p.beginDate, p.endDate) for p in periods]


@pytest.fixture(scope="module")
def rights(running):
    return Client(running.url, LIVING_WAGES)


@pytest.fixture(scope="module")
def amounts(running):
    return Client(running.url, LIVING_WAGES_WITH_AMOUNT)


def test_periods_are_merged_clipped_to_integration_and_open_end_at_r(rights):
    answer = rights.call("getLivingWagePeriods", X, "2024-01-01")
    assert (answer.status.value, answer.status.code) == ("DATA_FOUND", "MSG00000")
    # Integration from 2024-03-01; the adjacent Flemish rights merge; the open right ends at R; cancelled ignored.
    assert spans(answer.livingWagePeriod) == [(d("2024-03-01"), d("2024-12-31")), (d("2025-03-01"), d("2026-07-04"))]
    assert answer.criteria.ssin == X and answer.informationCustomer.ticket == "t-1"
    assert answer.legalContext == CTX and len(answer.informationCBSS.ticketCBSS) == 36


def test_open_right_ends_at_requested_end(rights):
    answer = rights.call("getLivingWagePeriods", X, "2024-06-01", "2025-06-30")
    assert spans(answer.livingWagePeriod) == [(d("2024-06-01"), d("2024-12-31")), (d("2025-03-01"), d("2025-06-30"))]


def test_flanders_variant_keeps_only_flemish_cpas(rights):
    answer = rights.call("getLivingWagePeriodsFlanders", X, "2024-01-01")
    assert spans(answer.livingWagePeriod) == [(d("2024-03-01"), d("2024-12-31"))]
    nothing = rights.call("getLivingWagePeriodsFlanders", X, "2025-01-01", "2025-12-31")
    assert (nothing.status.value, nothing.status.code) == ("NO_DATA_FOUND", "MSG00100")
    assert nothing.livingWagePeriod == []


def test_per_pcsa_groups_by_cpas(rights):
    answer = rights.call("getLivingWagePeriodsPerPCSA", X, "2024-01-01", "2025-12-31")
    got = [(g.pcsaCbeNumber, spans(g.livingWagePeriod)) for g in answer.livingWagePeriodsPerPCSA]
    assert got == [
        (P_FL, [(d("2024-03-01"), d("2024-12-31"))]),
        (P_WA, [(d("2025-03-01"), d("2025-12-31"))]),
    ]
    flemish = rights.call("getLivingWagePeriodsPerPCSAFlanders", X, "2024-01-01", "2025-12-31")
    assert [g.pcsaCbeNumber for g in flemish.livingWagePeriodsPerPCSA] == [P_FL]


def test_living_wages_groups_by_cpas_and_category(rights):
    answer = rights.call("getLivingWages", X, "2024-01-01")
    got = [(g.pcsaCbeNumber, g.category, spans(g.livingWagePeriod)) for g in answer.livingWages]
    assert got == [
        (P_FL, "LIVING_WAGE", [(d("2024-03-01"), d("2024-12-31"))]),
        (P_WA, "EQUIVALENT_LIVING_WAGE", [(d("2025-03-01"), d("2026-07-04"))]),
    ]


def _rows(answer):
    return [
        (
            f"{r.month[0]:04d}-{r.month[1]:02d}" if r.month is not None else f"{r.year[0]:04d}",
            r.pcsaCbeNumber,
            r.allowanceType,
            r.householdCategory,
            r.beneficiarySsin,
            r.partnerSsin,
            r.amount,
            r.coversWholePeriod,
            r.finalityStatus,
        )
        for r in answer.amount
    ]


def test_monthly_amounts_as_beneficiary_ordered_with_last_indemnified(amounts):
    answer = amounts.call("getLivingWagesWithAmount", X, "2026-03-01", "2026-06-30", grouping="MONTH")
    assert (answer.status.value, answer.status.code) == ("DATA_FOUND", "MSG00000")
    assert answer.referenceDate == d("2026-07-04")
    assert answer.lastMonthIsLastIndemnified is True
    rows = _rows(answer)
    assert [r[0][:7] for r in rows] == ["2026-03", "2026-04", "2026-05", "2026-05", "2026-05"]
    assert rows[2:] == [
        ("2026-05", P_FL, "LIVING_WAGE", 3, None, None, Decimal("888.04"), False, "PROVISIONAL"),
        ("2026-05", P_WA, "EQUIVALENT_LIVING_WAGE", 1, None, Y, Decimal("876.13"), True, "PROVISIONAL"),
        ("2026-05", P_WA, "FAMILY_ALLOWANCE_ADVANCE", 1, None, Y, Decimal("100.00"), True, "PROVISIONAL"),
    ]
    assert rows[0][8] == "CONSOLIDATING"
    partial = answer.amount[2]
    assert spans(partial.grantPeriod) == [(d("2026-05-01"), d("2026-05-15"))]


def test_last_month_not_last_indemnified_when_period_ends_earlier(amounts):
    answer = amounts.call("getLivingWagesWithAmount", X, "2025-12-01", "2026-02-28", grouping="MONTH")
    assert [r[0][:7] for r in _rows(answer)] == ["2025-12", "2026-01", "2026-02"]
    assert answer.lastMonthIsLastIndemnified is False
    assert [r[8] for r in _rows(answer)] == ["FINAL", "FINAL", "CONSOLIDATING"]


def test_yearly_amounts_without_last_indemnified_flag(amounts):
    answer = amounts.call("getLivingWagesWithAmount", X, "2025-01-01", grouping="YEAR")
    assert _rows(answer) == [
        ("2025", P_WA, "EQUIVALENT_LIVING_WAGE", 1, None, Y, Decimal("876.13"), False, "FINAL"),
        ("2026", P_WA, "EQUIVALENT_LIVING_WAGE", 1, None, Y, Decimal("4380.65"), False, "PROVISIONAL"),
    ]
    assert answer.lastMonthIsLastIndemnified is None


def test_partner_role_names_the_beneficiary(amounts):
    answer = amounts.call("getLivingWagesWithAmount", Y, "2026-05-01", "2026-05-31", role="PARTNER", grouping="MONTH")
    assert _rows(answer) == [
        ("2026-05", P_WA, "EQUIVALENT_LIVING_WAGE", 1, X, None, Decimal("876.13"), True, "PROVISIONAL"),
        ("2026-05", P_WA, "FAMILY_ALLOWANCE_ADVANCE", 1, X, None, Decimal("100.00"), True, "PROVISIONAL"),
    ]
    assert answer.lastMonthIsLastIndemnified is True
    yearly = amounts.call("getLivingWagesWithAmount", Y, "2025-01-01", "2025-12-31", role="PARTNER", grouping="YEAR")
    assert [(r[0], r[4]) for r in _rows(yearly)] == [("2025", X)]
    as_beneficiary = amounts.call("getLivingWagesWithAmount", Y, "2026-01-01", grouping="MONTH")
    assert as_beneficiary.status.code == "MSG00100" and as_beneficiary.amount == []


def test_amounts_clipped_to_the_months_the_integration_covers(amounts):
    answer = amounts.call("getLivingWagesWithAmount", W, "2025-12-01", "2026-05-31", grouping="MONTH")
    assert [r[0][:7] for r in _rows(answer)] == ["2026-02", "2026-03"]
    assert answer.lastMonthIsLastIndemnified is False


def test_wsdl_and_xsds_are_served_with_the_contract_names(running):
    wsdl = etree.fromstring(requests.get(f"{running.url}{LIVING_WAGES.path}?wsdl", timeout=5).content)
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}
    assert wsdl.get("targetNamespace") == "http://kszbcss.fgov.be/intf/LivingWagesService/v2"
    assert wsdl.find("w:portType", ns).get("name") == "LivingWagesPortType"
    assert wsdl.find("w:binding", ns).get("name") == "LivingWagesServiceHTTPBinding"
    port = wsdl.find("w:service/w:port", ns)
    assert (wsdl.find("w:service", ns).get("name"), port.get("name")) == ("LivingWagesService", "LivingWagesService")
    assert port.find("s:address", ns).get("location") == f"{running.url}{LIVING_WAGES.path}"
    actions = sorted(op.get("soapAction") for op in wsdl.iterfind("w:binding/w:operation/s:operation", ns))
    assert actions == sorted(f"http://kszbcss.fgov.be/LivingWagesService/{op}" for op in LIVING_WAGES.operations)
    types = etree.fromstring(
        requests.get(f"{running.url}/soap/LivingWagesService/LivingWagesV2.xsd", timeout=5).content
    )
    assert types.get("elementFormDefault") == "unqualified"
    assert types.get("targetNamespace") == "http://kszbcss.fgov.be/types/LivingWages/v2"
    assert requests.get(f"{running.url}/soap/LivingWagesService/..%2Fapp.py", timeout=5).status_code == 404


def test_zeep_reads_the_fault_of_an_unavailable_service(tmp_path):
    with RunningService(tmp_path) as empty:  # nothing published yet
        client = Client(empty.url, LIVING_WAGES)
        with pytest.raises(zeep.exceptions.Fault) as raised:
            client.call("getLivingWagePeriods", X, "2024-01-01")
        assert raised.value.code == "soapenv:Server"
        detail = raised.value.detail.find(f"{{{LIVING_WAGES.interface_ns}}}livingWagesFault")
        assert detail.findtext("detail/reasonCode") == "MSG00001"
        assert detail.findtext("detail/severity") == "FATAL"


def test_several_integration_windows_give_each_month_once_and_skip_the_gaps(tmp_path, fixture_published):
    # X integrated for A in three windows: two share January, and March falls in a gap
    rows = fixture_rows()
    rows["integrations"] = [r for r in rows["integrations"] if not (r[0] == CBE_A and r[1] == X)] + [
        (CBE_A, X, "1", d("2025-12-10"), d("2026-01-10")),
        (CBE_A, X, "1", d("2026-01-20"), d("2026-02-05")),
        (CBE_A, X, "1", d("2026-04-01"), None),
    ]
    home = home_with_fixture(tmp_path / "home", fixture_published)
    with RunningService(home) as running:
        publish(running.settings.published, rows)
        client = Client(running.url, LIVING_WAGES_WITH_AMOUNT)
        deadline = dt.datetime.now() + dt.timedelta(seconds=30)
        while True:  # the new snapshot is loaded in the background after the switch
            answer = client.call("getLivingWagesWithAmount", X, "2025-12-01", "2026-05-31", grouping="MONTH")
            months = [r[0][:7] for r in _rows(answer)]
            if "2026-03" not in months or dt.datetime.now() > deadline:
                break
        assert months == ["2025-12", "2026-01", "2026-02", "2026-04", "2026-05", "2026-05", "2026-05"]
        assert answer.lastMonthIsLastIndemnified is True

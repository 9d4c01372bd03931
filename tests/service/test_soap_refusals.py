"""One test per refusal of CONTRACT section 4.3 (status codes and faults), each on the wire, each audited."""

from __future__ import annotations

import httpx
from lxml import etree

from service.schemas import LIVING_WAGES, LIVING_WAGES_WITH_AMOUNT, SOAP_ENV, validator
from tests.service.conftest import (
    CBE_A,
    CBE_B,
    CTX,
    CTX_OLD,
    PASSWORD_A,
    PASSWORD_B,
    USER_A,
    USER_B,
    RunningService,
    X,
    Z,
    basic,
)

AMOUNT_OP = "getLivingWagesWithAmount"


def envelope(
    spec=LIVING_WAGES_WITH_AMOUNT,
    operation=AMOUNT_OP,
    ssin=X,
    begin="2026-01-01",
    end="2026-05-31",
    cbe=CBE_A,
    legal_context=CTX,
    extra_criteria="<grouping>MONTH</grouping>",
) -> bytes:
    end_xml = f"<endDate>{end}</endDate>" if end else ""
    if spec.name == LIVING_WAGES.name:  # V2 and V3
        extra_criteria = ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:i="{spec.interface_ns}">
  <soapenv:Body>
    <i:{operation}Request>
      <informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification>
      </informationCustomer>
      <legalContext>{legal_context}</legalContext>
      <criteria><ssin>{ssin}</ssin><period><beginDate>{begin}</beginDate>{end_xml}</period>{extra_criteria}</criteria>
    </i:{operation}Request>
  </soapenv:Body>
</soapenv:Envelope>""".encode()


def post(
    running, body: bytes, spec=LIVING_WAGES_WITH_AMOUNT, operation=AMOUNT_OP, auth=(USER_A, PASSWORD_A), headers=None
) -> httpx.Response:
    all_headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{spec.soap_action(operation)}"'}
    if auth:
        all_headers.update(basic(*auth))
    all_headers.update(headers or {})
    return httpx.post(f"{running.url}{spec.path}", content=body, headers=all_headers, timeout=10)


def status_of(response: httpx.Response, spec=LIVING_WAGES_WITH_AMOUNT) -> tuple[str, str, list[tuple]]:
    assert response.status_code == 200, response.text
    payload = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body")[0]
    assert validator(spec).validate(payload), validator(spec).error_log
    status = payload.find("status")
    info = [(i.findtext("fieldName"), i.findtext("fieldValue")) for i in status.iterfind("information")]
    return status.findtext("value"), status.findtext("code"), info


def fault_of(response: httpx.Response, spec=LIVING_WAGES_WITH_AMOUNT) -> tuple[str, str]:
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    detail = fault.find("detail")[0]
    assert etree.QName(detail) == etree.QName(spec.interface_ns, spec.fault_element)
    assert validator(spec).validate(detail), validator(spec).error_log
    return fault.findtext("faultcode"), detail.findtext("detail/reasonCode")


def assert_audited(service, *expected: tuple[int, str]) -> list[dict]:
    records = service.audit_records()
    assert [(r["http_status"], r["status_code"]) for r in records] == list(expected)
    assert all(r["channel"] == "SOAP" and r["ticket_cbss"] for r in records)
    return records


def test_valid_request_is_answered_and_audited(service):
    assert status_of(post(service, envelope()))[:2] == ("DATA_FOUND", "MSG00000")
    (record,) = assert_audited(service, (200, "MSG00000"))
    assert (record["cbe_number"], record["username"], record["ssin"], record["operation"]) == (
        CBE_A,
        USER_A,
        X,
        AMOUNT_OP,
    )
    assert (record["period_begin"], record["period_end"], record["legal_context"]) == ("2026-01-01", "2026-05-31", CTX)
    assert record["snapshot_id"] and record["duration_ms"] > 0 and record["status_value"] == "DATA_FOUND"


def test_wrong_password_is_401_before_parsing(service):
    response = post(service, b"not even xml", auth=(USER_A, "wrong"))
    assert response.status_code == 401 and "Basic" in response.headers["www-authenticate"]
    assert_audited(service, (401, "HTTP401"))


def test_unknown_user_and_missing_credentials_are_401(service):
    assert post(service, envelope(), auth=("nobody", "x")).status_code == 401
    assert post(service, envelope(), auth=None).status_code == 401
    assert_audited(service, (401, "HTTP401"), (401, "HTTP401"))


def test_repeated_failures_are_throttled_without_hashing(service):
    codes = [post(service, envelope(), auth=(USER_A, "wrong")).status_code for _ in range(7)]
    assert codes == [401] * 5 + [429] * 2
    # the right password is refused too while throttled: a flood cannot be used to guess it cheaply
    refused = post(service, envelope())
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert len(service.audit_records()) == 8


def test_cbe_mismatch_is_msg00014_with_cbe_information_before_authorisation(service):
    value, code, info = status_of(post(service, envelope(cbe=CBE_B)))
    assert (value, code, info) == ("NO_RESULT", "MSG00014", [("cbeNumber", CBE_B)])
    # the cbeNumber is checked before the authorisation: with a legal context A may not use either
    assert status_of(post(service, envelope(cbe=CBE_B, legal_context="not-granted")))[:2] == ("NO_RESULT", "MSG00014")
    assert_audited(service, (200, "MSG00014"), (200, "MSG00014"))


def test_expired_authorisation_is_msg00013(service):
    body = envelope(spec=LIVING_WAGES, operation="getLivingWages", legal_context=CTX_OLD)
    assert status_of(post(service, body, spec=LIVING_WAGES, operation="getLivingWages"), LIVING_WAGES)[:2] == (
        "NO_RESULT",
        "MSG00013",
    )


def test_unauthorised_legal_context_or_operation_is_msg00013(service):
    body = envelope(spec=LIVING_WAGES, operation="getLivingWagePeriods", cbe=CBE_B, legal_context=CTX)
    response = post(service, body, spec=LIVING_WAGES, operation="getLivingWagePeriods", auth=(USER_B, PASSWORD_B))
    assert status_of(response, LIVING_WAGES)[:2] == ("NO_RESULT", "MSG00013")
    body = envelope(spec=LIVING_WAGES, operation="getLivingWages", cbe=CBE_B, legal_context="INAMI-health")
    response = post(service, body, spec=LIVING_WAGES, operation="getLivingWages", auth=(USER_B, PASSWORD_B))
    assert status_of(response, LIVING_WAGES)[:2] == ("NO_RESULT", "MSG00013")
    body = envelope(spec=LIVING_WAGES, operation="getLivingWagePeriods", cbe=CBE_B, legal_context="INAMI-health")
    response = post(service, body, spec=LIVING_WAGES, operation="getLivingWagePeriods", auth=(USER_B, PASSWORD_B))
    assert status_of(response, LIVING_WAGES)[:2] == ("DATA_FOUND", "MSG00000")


def test_integration_outside_the_period_is_msg00012(service):
    value, code, info = status_of(post(service, envelope(ssin=Z)))
    assert (value, code, info) == ("NO_RESULT", "MSG00012", [("ssin", Z), ("cbeNumber", CBE_A)])
    inside = status_of(post(service, envelope(ssin=Z, begin="2012-01-01", end="2012-12-31")))
    assert inside[:2] == ("NO_DATA_FOUND", "MSG00100")


def test_invalid_ssin_check_digits_is_msg00011(service):
    bad = X[:-2] + f"{(int(X[-2:]) % 97) + 1:02d}"
    assert status_of(post(service, envelope(ssin=bad)))[:3] == ("NO_RESULT", "MSG00011", [("ssin", bad)])


def test_end_before_begin_is_msg00008_on_end_date(service):
    value, code, info = status_of(post(service, envelope(begin="2026-05-01", end="2026-04-30")))
    assert (value, code, [name for name, _ in info]) == ("NO_RESULT", "MSG00008", ["endDate"])


def test_more_than_ten_years_is_msg00008_on_period(service):
    value, code, info = status_of(post(service, envelope(begin="2016-05-01", end="2026-05-01")))
    assert (value, code, [name for name, _ in info]) == ("NO_RESULT", "MSG00008", ["period"])
    open_ended = status_of(post(service, envelope(begin="2016-07-04", end=None)))  # up to R = 2026-07-04
    assert open_ended[1] == "MSG00008"
    assert status_of(post(service, envelope(begin="2016-05-02", end="2026-05-01")))[1] != "MSG00008"


def test_malformed_xml_is_a_client_fault(service):
    response = post(service, b"<soapenv:Envelope xmlns:soapenv='x'><unclosed>")
    assert response.status_code == 500
    assert fault_of(response) == ("soapenv:Client", "MSG00008")
    assert_audited(service, (500, "MSG00008"))


def test_xsd_violation_is_a_client_fault(service):
    body = envelope().replace(b"<grouping>MONTH</grouping>", b"<grouping>WEEK</grouping>")
    response = post(service, body)
    assert response.status_code == 500 and fault_of(response) == ("soapenv:Client", "MSG00008")
    assert b"grouping" in response.content
    not_soap = post(service, b"<a>not an envelope</a>")
    assert not_soap.status_code == 500 and fault_of(not_soap)[0] == "soapenv:Client"


def test_xxe_is_refused_without_reading_the_file(service, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = envelope().replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'.encode(),
    )
    body = body.replace(CTX.encode(), b"&e;")
    response = post(service, body)
    assert response.status_code == 500 and fault_of(response)[0] == "soapenv:Client"
    assert b"TOP-SECRET" not in response.content


def test_entity_expansion_is_refused(service):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]>"
    )
    body = envelope().replace(b'<?xml version="1.0" encoding="UTF-8"?>', bomb).replace(CTX.encode(), b"&lol9;")
    response = post(service, body)
    assert response.status_code == 500 and fault_of(response)[0] == "soapenv:Client"


def test_oversized_body_is_413_before_credentials(service):
    response = post(service, b"<x>" + b" " * (70 * 1024) + b"</x>", auth=(USER_A, "wrong"))
    assert response.status_code == 413
    assert_audited(service, (413, "HTTP413"))


def test_no_published_snapshot_is_msg00001(tmp_path):
    with RunningService(tmp_path) as empty:
        response = post(empty, envelope())
        assert response.status_code == 503
        assert fault_of(response) == ("soapenv:Server", "MSG00001")
        assert httpx.get(f"{empty.url}/health").status_code == 503
        assert [(r["http_status"], r["status_code"]) for r in empty.audit_records()] == [(503, "MSG00001")]


def test_internal_error_is_a_server_fault_without_traceback(service, monkeypatch):
    import service.consult as consult

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire at /secret/path")

    monkeypatch.setattr(consult, "answer", broken)
    response = post(service, envelope())
    assert response.status_code == 500 and fault_of(response) == ("soapenv:Server", "MSG00003")
    assert b"/secret/path" not in response.content and b"Traceback" not in response.content
    assert_audited(service, (500, "MSG00003"))


def test_soap_action_must_match_the_operation(service):
    response = post(service, envelope(), headers={"SOAPAction": "http://kszbcss.fgov.be/LivingWagesService/x"})
    assert response.status_code == 500 and fault_of(response)[0] == "soapenv:Client"

"""SOAP 1.1 as the standard says (mustUnderstand, VersionMismatch, text/xml), the WSDL's address from configuration,
and the login throttle's counters shared between processes (issue 19, items 2, 4 and 5)."""

from __future__ import annotations

import base64

import httpx
import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from service.auth import Authenticator, AuthRefused, SharedFailures
from service.pipeline import Refused, _check_media_type
from service.schemas import LIVING_WAGES_WITH_AMOUNT, SOAP_ENV
from tests.service.conftest import PASSWORD_A, USER_A, USER_B, basic
from tests.service.test_soap_refusals import AMOUNT_OP, envelope, fault_of, post, status_of

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
JSON_URL = "/api/v1/LivingWagesWithAmount/getLivingWagesWithAmount"


def _with_header(block: str) -> bytes:
    body = envelope().decode()
    return body.replace("<soapenv:Body>", f"<soapenv:Header>{block}</soapenv:Header><soapenv:Body>").encode()


def _faultcode(response: httpx.Response) -> str:
    return etree.fromstring(response.content).findtext(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault/faultcode")


def test_a_header_block_that_must_be_understood_is_a_mustunderstand_fault(service):
    ns = 'xmlns:x="urn:example:security"'
    must = _with_header(f'<x:Security {ns} soapenv:mustUnderstand="1"><x:token>t</x:token></x:Security>')
    refused = post(service, must)
    assert refused.status_code == 500 and _faultcode(refused) == "soapenv:MustUnderstand", refused.text
    assert "urn:example:security" in fault_of(refused)[1] or "Security" in refused.text
    # optional blocks, and blocks for another actor, are ignored as SOAP 1.1 says: the request is answered
    optional = _with_header(f'<x:Trace {ns} soapenv:mustUnderstand="0">t</x:Trace><x:Note {ns}>n</x:Note>')
    assert status_of(post(service, optional))[1] == "MSG00000"
    elsewhere = _with_header(f'<x:Security {ns} soapenv:actor="urn:a:gateway" soapenv:mustUnderstand="1"/>')
    assert status_of(post(service, elsewhere))[1] == "MSG00000"
    codes = [(r["http_status"], r["status_code"]) for r in service.audit_records()]
    assert codes == [(500, "MSG00008"), (200, "MSG00000"), (200, "MSG00000")]


def test_a_soap12_envelope_is_a_versionmismatch_fault(service):
    soap12 = envelope().replace(SOAP_ENV.encode(), SOAP12_ENV.encode())
    refused = post(service, soap12)
    assert refused.status_code == 500 and _faultcode(refused) == "soapenv:VersionMismatch", refused.text
    assert SOAP12_ENV in refused.text
    # sent as SOAP 1.2 sends it (application/soap+xml): refused before any XML is read
    assert (
        post(service, soap12, headers={"Content-Type": f"application/soap+xml; action={AMOUNT_OP}"}).status_code == 415
    )


def test_only_text_xml_is_read_on_soap_and_only_application_json_on_the_mirror(service):
    for content_type in ("application/soap+xml", "application/xml", "text/plain", "application/json"):
        refused = post(service, envelope(), headers={"Content-Type": content_type})
        assert refused.status_code == 415 and "text/xml" in refused.text, (content_type, refused.text)
    assert post(service, envelope(), headers={"Content-Type": "Text/XML;charset=UTF-8"}).status_code == 200
    json_body = {
        "informationCustomer": {"customerIdentification": {"cbeNumber": "0"}},
        "legalContext": "x",
        "criteria": {},
    }
    as_text = httpx.post(
        service.url + JSON_URL,
        content=httpx.Request("POST", "/", json=json_body).content,
        headers={**basic(USER_A, PASSWORD_A), "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 415 and "application/json" in as_text.text
    assert httpx.post(service.url + JSON_URL, json=json_body, headers=basic(USER_A, PASSWORD_A)).status_code == 400
    records = service.audit_records()  # each refusal audited, before the credentials are checked
    assert [r["http_status"] for r in records] == [415] * 4 + [200, 415, 400]
    assert records[0]["username"] is None


@settings(max_examples=200, deadline=None)
@given(
    media=st.sampled_from(["text/xml", "TEXT/XML", "application/json", "application/soap+xml", "text/html", ""])
    | st.text(alphabet="abcdefghijklmnopqrstuvwxyz/+-.", max_size=30),
    parameters=st.sampled_from(["", "; charset=utf-8", ';charset="UTF-8"', "; action=x"]),
)
def test_the_media_type_decides_whatever_its_parameters(media, parameters):
    class Soap:
        media_types = ("text/xml",)

    accepted = media.strip().lower() == "text/xml"
    try:
        _check_media_type(Soap(), media + parameters)
    except Refused as refused:
        assert not accepted and refused.http_status == 415
    else:
        assert accepted
    _check_media_type(Soap(), None)  # not over HTTP (a batch file): nothing to check


def test_the_wsdl_names_the_configured_address_never_the_host_header(service, monkeypatch):
    def location(**headers) -> str:
        response = httpx.get(service.url + LIVING_WAGES_WITH_AMOUNT.path + "?wsdl", headers=headers)
        assert response.status_code == 200
        found = etree.fromstring(response.content).xpath("//*[local-name()='address']/@location")
        assert len(found) == 1
        return found[0]

    bound = service.url + LIVING_WAGES_WITH_AMOUNT.path
    assert location(Host="evil.example:443") == bound
    assert location(Host="evil.example", **{"X-Forwarded-Host": "evil.example"}) == bound
    monkeypatch.setenv("LWW_SERVICE_PUBLIC_URL", "https://lww.example.be/consult/")
    assert location(Host="evil.example") == "https://lww.example.be/consult" + LIVING_WAGES_WITH_AMOUNT.path


# -- the login throttle ------------------------------------------------------------------------------------------
_FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
CREDENTIALS = {name: (f"02{i:08d}", _FAST.hash("right")) for i, name in enumerate(["alice", "bob", "carol"])}


def _header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _attempt(auth: Authenticator, user: str, password: str, address: str) -> int:
    try:
        auth.authenticate(_header(user, password), address, CREDENTIALS)
    except AuthRefused as refused:
        return refused.http_status
    return 200


@pytest.fixture
def two_processes(tmp_path):
    """Two authenticators on one shared store: what two worker processes of ``lww serve`` hold."""
    path = tmp_path / "run" / "login-failures.sqlite"
    return [Authenticator(failures=SharedFailures(path, 60.0)) for _ in range(2)]


def test_failures_of_one_username_from_rotating_addresses_are_throttled_in_every_process(two_processes):
    codes = [_attempt(two_processes[i % 2], "alice", "guess", f"10.0.{i}.1") for i in range(7)]
    assert codes == [401] * 5 + [429] * 2
    # the right password, from yet another address and the other process, waits too; other users do not
    assert _attempt(two_processes[1], "alice", "right", "10.9.9.9") == 429
    assert _attempt(two_processes[0], "bob", "right", "10.0.0.1") == 200


def test_failures_from_one_address_over_rotating_usernames_are_throttled(two_processes):
    codes = [_attempt(two_processes[i % 2], f"nobody{i}", "guess", "192.0.2.7") for i in range(22)]
    assert codes == [401] * 20 + [429] * 2
    assert _attempt(two_processes[1], "carol", "right", "192.0.2.7") == 429
    assert _attempt(two_processes[1], "carol", "right", "192.0.2.8") == 200


@settings(max_examples=25, deadline=None)
@given(
    attempts=st.lists(
        st.tuples(
            st.integers(0, 1),  # which process
            st.sampled_from(["alice", "bob"]),
            st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
            st.booleans(),  # the right password
        ),
        max_size=30,
    )
)
def test_two_processes_on_the_shared_store_answer_as_one_process_would(tmp_path_factory, attempts):
    """Whatever the interleaving, the processes' answers (each keeping its last read until the file changes) are
    those of one process counting in memory: per username 5, per address 20, in the window."""
    path = tmp_path_factory.mktemp("shared") / "login-failures.sqlite"
    shared = [Authenticator(failures=SharedFailures(path, 60.0)) for _ in range(2)]
    alone = Authenticator()
    for process, user, address, right in attempts:
        password = "right" if right else "guess"
        assert _attempt(shared[process], user, password, address) == _attempt(alone, user, password, address)


def test_the_window_forgets_and_a_success_does_not_clear(tmp_path):
    now = [1000.0]
    store = SharedFailures(tmp_path / "failures.sqlite", 60.0, clock=lambda: now[0])
    auth = Authenticator(failures=store)
    assert [_attempt(auth, "bob", "guess", "10.0.0.1") for _ in range(5)] == [401] * 5
    assert _attempt(auth, "bob", "right", "10.0.0.1") == 429
    now[0] += 61
    assert _attempt(auth, "bob", "right", "10.0.0.1") == 200
    assert [_attempt(auth, "bob", "guess", "10.0.0.2") for _ in range(4)] == [401] * 4
    # the user's own success does not start the count again (an attacker would get 4 guesses after each)
    assert _attempt(auth, "bob", "right", "10.0.0.2") == 200
    assert [_attempt(auth, "bob", "guess", "10.0.0.3") for _ in range(2)] == [401, 429]


def test_a_throttled_attempt_is_audited(service):
    codes = [post(service, envelope(), auth=(USER_B, "wrong")).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    throttled = service.audit_records()[-1]
    assert (throttled["http_status"], throttled["status_code"], throttled["username"]) == (429, "HTTP429", USER_B)

"""The wire of §6: what the notifier sends and the reference subscriber answers validate against the WSDL's
schema the service serves; a SOAP client (zeep) built from that WSDL talks to the reference subscriber; and an
answer that proves nothing (a redirect, a client error, an oversized or foreign answer) is never a delivery."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import zeep
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kernel.xsd import compile_schema
from service import schemas
from service.notifications import client, message
from service.notifications.config import NotifyConfig
from tests.service.conftest import RunningService
from tests.service.notifications.notify_fixture import RunningSubscriber, due_rows, free_port

ROW = {
    "ticket": "6f1c2a9e-1d2b-4c3d-8e4f-5a6b7c8d9e0f",
    "recipient": "0200000001",
    "endpoint_url": "http://127.0.0.1:9/notifications/x",
    "with_attestation": 1,
    "right_id": "R-1",
    "sequence": 2,
    "event_type": "MODIFY",
    "registration_date": "2026-07-01",
    "ssin": "85073100123",
    "attestation_status": 1,
    "pcsa_cbe_number": "0212345678",
    "category": "LIVING_WAGE",
    "household_category": 3,
    "begin_date": "2026-06-01",
    "end_date": None,
    "decision_date": "2026-06-20",
}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    document = etree.parse(str(schemas.SCHEMA_DIR / schemas.NOTIFICATION.interface_xsd))
    return compile_schema(document)


def payload(body: bytes) -> etree._Element:
    return etree.fromstring(body).find(f"{{{message.SOAP_ENV}}}Body")[0]


@settings(max_examples=60, deadline=None)
@given(
    attestation=st.booleans(),
    end=st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))),
    right=st.text("ABCxyz0-9<&>'\"", min_size=1, max_size=40),
    sequence=st.integers(0, 10**6),
)
def test_every_notification_is_valid_and_reads_back(schema, attestation, end, right, sequence):
    row = {**ROW, "with_attestation": int(attestation), "end_date": end, "right_id": right, "sequence": sequence}
    body = message.notification(row)
    schema.assertValid(payload(body))
    received = message.parse_notification(body)
    assert (received.ticket, received.right_id, received.sequence) == (row["ticket"], right, sequence)
    assert (received.attestation is not None) == attestation
    if attestation:
        assert received.attestation["endDate"] == (end.isoformat() if end else "")
    answer = message.response(received.ticket, received.timestamp_sent, "NOK", "MSG00001", "later <&>")
    schema.assertValid(payload(answer))
    assert message.parse_answer(answer) == message.Answer("NOK", "MSG00001", "later <&>", row["ticket"])


def test_the_service_serves_the_subscribers_wsdl_and_zeep_calls_the_reference_subscriber(tmp_path):
    port = free_port()
    with RunningService(tmp_path / "service-home") as service, RunningSubscriber(tmp_path / "home", port) as subscriber:
        base = service.url
        xsd = httpx.get(f"{base}/soap/LivingWagesNotificationService/LivingWagesNotificationServiceV1.xsd")
        assert xsd.status_code == 200 and b"livingWagesNotificationResponse" in xsd.content
        soap = zeep.Client(f"{base}/soap/LivingWagesNotificationService/v1?wsdl")  # the WSDL, from its URL alone
        binding = (
            "{http://kszbcss.fgov.be/intf/LivingWagesNotificationService/v1}LivingWagesNotificationServiceHTTPBinding"
        )
        subscriber_side = soap.create_service(binding, f"{subscriber.url}/notifications/zeep")
        answer = subscriber_side.notifyLivingWage(
            informationNotificationCBSS={"ticketCBSS": ROW["ticket"], "timestampSent": dt.datetime.now(dt.UTC)},
            informationNotified={"notifiedIdentification": {"cbeNumber": "0200000001"}},
            ssin=ROW["ssin"],
            event={"type": "CREATE", "rightId": "R-9", "sequence": 1, "registrationDate": dt.date(2026, 7, 1)},
        )
        assert answer.status.value == "OK"
        assert answer.informationNotificationCBSS.ticketCBSS == ROW["ticket"]
        receipt = subscriber.received()[ROW["ticket"]]
    assert [(r["rightId"], r["path"], r["attestation"]) for r in receipt] == [("R-9", "/notifications/zeep", None)]


class _Answers(BaseHTTPRequestHandler):
    """A subscriber that answers what the path asks for."""

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        ok = message.response(ROW["ticket"], "x", "OK", "MSG00000")
        kind = self.path.rsplit("/", 1)[-1]
        status, body, headers = 200, ok, {}
        if kind == "redirect":
            status, headers = 302, {"Location": "http://127.0.0.1:1/elsewhere"}
        elif kind == "gone":
            status = 404
        elif kind == "busy":
            status = 429
        elif kind == "huge":
            body = ok + b" " * (200 * 1024)
        elif kind == "other-ticket":
            body = message.response("00000000-0000-4000-8000-000000000000", "x", "OK", "MSG00000")
        elif kind == "not-xml":
            body = b"<html>hello"
        elif kind == "fault":
            status, body = 500, message.fault("soapenv:Server", "database down")
        elif kind == "chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(ok), 100):
                part = ok[start : start + 100]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_only_an_ok_echoing_the_ticket_is_a_delivery():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = NotifyConfig(read_timeout=5, connect_timeout=2)

    async def attempts():
        connections = client.Connections(config)
        try:
            results = {}
            for kind in ("ok", "chunked", "redirect", "gone", "busy", "huge", "other-ticket", "not-xml", "fault"):
                results[kind] = await client.send(connections, config, {**ROW, "endpoint_url": f"{base}/{kind}"})
            return results
        finally:
            await connections.close()

    try:
        results = asyncio.run(attempts())
    finally:
        server.shutdown()
    outcome = {kind: (r.outcome, r.http_status) for kind, r in results.items()}
    assert outcome == {
        "ok": ("OK", 200),
        "chunked": ("OK", 200),
        "redirect": ("HTTP", 302),
        "gone": ("HTTP", 404),
        "busy": ("HTTP", 429),
        "huge": ("BAD_ANSWER", 200),
        "other-ticket": ("BAD_ANSWER", 200),
        "not-xml": ("BAD_ANSWER", 200),
        "fault": ("FAULT", 500),
    }
    assert "not followed" in results["redirect"].error and "elsewhere" in results["redirect"].error
    assert "refuses the request" in results["gone"].error
    assert "longer than 65536 bytes" in results["huge"].error
    assert "database down" in results["fault"].answer


def test_an_endpoint_that_is_not_http_is_an_error_attempt_not_a_crash():
    config = NotifyConfig()

    async def attempt():
        connections = client.Connections(config)
        return await client.send(connections, config, {**ROW, "endpoint_url": "ftp://example.org/x"})

    result = asyncio.run(attempt())
    assert result.outcome == "ERROR" and "http or https URL" in result.error


def test_rows_of_the_fixture_carry_every_published_column():
    row = due_rows("http://127.0.0.1:1", rights=1)[0]
    from tests.service.notifications.notify_fixture import DUE

    assert list(row) == DUE.column_names


def test_tls_is_verified_and_a_custom_ca_is_trusted(tmp_path):
    """A subscriber whose certificate no trusted CA signed is an error attempt; with that CA configured
    (``LWW_NOTIFY_CA_BUNDLE``) the same call is a delivery."""
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/ok"

    async def attempt(config: NotifyConfig):
        connections = client.Connections(config)
        try:
            return await client.send(connections, config, {**ROW, "endpoint_url": url})
        finally:
            await connections.close()

    try:
        refused = asyncio.run(attempt(NotifyConfig(connect_timeout=5, read_timeout=5)))
        trusted = asyncio.run(attempt(NotifyConfig(connect_timeout=5, read_timeout=5, ca_bundle=cert)))
    finally:
        server.shutdown()
    assert refused.outcome == "ERROR" and "CERTIFICATE_VERIFY_FAILED" in refused.error
    assert (trusted.outcome, trusted.http_status) == ("OK", 200)

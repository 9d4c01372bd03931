"""One pipeline for every channel, called without HTTP: the checks of CONTRACT section 4.3 in order, the first
failing one answering, and exactly one audit record whatever happens.

The pipeline is called as a batch channel will call it: the real SOAP and JSON channels, a snapshot opened once
and kept, the real authenticator and audit log, no server.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.settings import settings as make_settings
from service.audit import AuditLog
from service.auth import Authenticator, AuthRefused
from service.channels import SOAP_CHANNELS, JsonChannel
from service.pipeline import Context, Incoming, Refused, answer
from service.schemas import LIVING_WAGES, LIVING_WAGES_V3, LIVING_WAGES_WITH_AMOUNT
from service.snapshot_store import SnapshotStore
from tests.service.conftest import CBE_A, CBE_B, PASSWORD_A, TODAY, USER_A, X, basic, home_with_fixture
from tests.service.test_soap_refusals import envelope

OP = "getLivingWagePeriods"


@pytest.fixture(scope="module")
def grounds(tmp_path_factory, fixture_published):
    """A loaded snapshot, an authenticator and an audit log, shared by the examples of a test."""
    home = home_with_fixture(tmp_path_factory.mktemp("pipeline"), fixture_published)
    settings_ = make_settings(home).ensure()
    store = SnapshotStore(settings_.published, settings_.service_cache / "indexes")
    audit = AuditLog(settings_.audit)
    yield store.get(), Authenticator(), audit, settings_.audit
    audit.close()


def _records(folder) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.glob("audit-*.jsonl")) for line in path.read_text().splitlines()]


def _context(snapshot, authenticator, audit) -> Context:
    def caller(incoming: Incoming, loaded):
        try:
            return authenticator.authenticate(incoming.authorization, incoming.client_ip, loaded.credentials)
        except AuthRefused as refused:
            raise Refused(refused.http_status, refused.reason, username=refused.username) from None

    return Context(snapshot=lambda: snapshot, caller=caller, today=lambda: TODAY, audit=audit, body_limit=1000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    too_large=st.booleans(),
    published=st.booleans(),
    credentials=st.sampled_from(["right", "wrong", "none"]),
    body=st.sampled_from(["valid", "not xml", "breaks the schema"]),
    customer=st.sampled_from([CBE_A, CBE_B]),
    json_channel=st.booleans(),
    spec=st.sampled_from([LIVING_WAGES, LIVING_WAGES_V3]),
)
def test_the_first_failing_check_answers_and_one_record_is_written(
    grounds, too_large, published, credentials, body, customer, json_channel, spec
):
    snapshot, _shared, audit, folder = grounds
    authenticator = Authenticator()  # its own: failed logins of earlier examples would throttle this one (429)
    if json_channel:
        channel = JsonChannel(spec.key, OP)
        valid = json.dumps(
            {
                "informationCustomer": {"customerIdentification": {"cbeNumber": customer}},
                "legalContext": "ONEM-unemployment",
                "criteria": {"ssin": X, "period": {"beginDate": "2024-01-01", "endDate": "2024-12-31"}},
            }
        ).encode()
        breaking = valid.replace(b'"ssin"', b'"sin"')
        action = None
    else:
        channel = SOAP_CHANNELS[spec.key]
        valid = envelope(spec, OP, begin="2024-01-01", end="2024-12-31", cbe=customer)
        breaking = valid.replace(b"<ssin>", b"<sin>").replace(b"</ssin>", b"</sin>")
        action = spec.soap_action(OP)
    content = {"valid": valid, "not xml": b"<<not a request", "breaks the schema": breaking}[body]
    headers = {"right": basic(USER_A, PASSWORD_A), "wrong": basic(USER_A, "nope"), "none": {}}[credentials]
    incoming = Incoming(None if too_large else content, headers.get("Authorization"), "127.0.0.1", action)
    before = len(_records(folder))

    pending = answer(channel, incoming, _context(snapshot if published else None, authenticator, audit))

    records = _records(folder)
    audit.wait_durable(pending.sequence)
    assert len(records) == before + 1  # exactly one record, whatever the outcome
    record = records[-1]
    reply = pending.reply
    assert (record["http_status"], record["channel"]) == (reply.http_status, channel.name)
    if too_large:
        expected = (413, "HTTP413")
    elif not published:
        expected = (503, "MSG00001")
    elif credentials != "right":
        expected = (401, "HTTP401")
    elif body != "valid":
        expected = (channel.invalid_status, "MSG00008")
    elif customer != CBE_A:
        expected = (200, "MSG00014")
    else:
        expected = (200, "MSG00000")
    assert (reply.http_status, record["status_code"]) == expected
    assert (record["snapshot_id"] is not None) == (not too_large and published)


def test_one_snapshot_answers_a_whole_file_without_http(grounds):
    """What a batch does: one snapshot and one known caller for every request of a file, the same answers as
    the HTTP channels give (the SOAP channel's rendering), one record per request."""
    snapshot, _authenticator, audit, folder = grounds
    from service.auth import Caller

    fixed = Context(
        snapshot=lambda: snapshot,
        caller=lambda incoming, loaded: Caller(USER_A, CBE_A),
        today=lambda: TODAY,
        audit=audit,
        body_limit=1 << 20,
    )
    channel = SOAP_CHANNELS[LIVING_WAGES_WITH_AMOUNT.name]
    requests = [envelope(begin=f"2026-0{month}-01", end=f"2026-0{month}-28") for month in (1, 2, 3)]
    before = len(_records(folder))
    replies = [answer(channel, Incoming(body), fixed) for body in requests]
    assert [p.reply.http_status for p in replies] == [200, 200, 200]
    assert all(b"<status><value>DATA_FOUND</value><code>MSG00000</code>" in p.reply.content for p in replies)
    records = _records(folder)[before:]
    assert [r["snapshot_id"] for r in records] == [snapshot.refresh_id] * 3
    assert [r["period_begin"] for r in records] == ["2026-01-01", "2026-02-01", "2026-03-01"]

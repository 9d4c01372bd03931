"""Batch consultation (CONTRACT section 5) against the real service over the fixture snapshot: every request of a
mixed file answered as the online service answers it (status and payload byte for byte), the synthesis, the
audit, idempotency on batchId, whole-file refusals (one line, exit 2), a run killed mid-way, the drop folder, the
Dagster sensor and the served schema.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from dagster_project.batch import batch_drop_sensor, batch_job
from dagster_project.resources import Warehouse
from kernel import identifiers
from lww.cli import main as lww
from service import batch_file
from service.channels import batch
from service.schemas import LIVING_WAGES, LIVING_WAGES_V3, LIVING_WAGES_WITH_AMOUNT, SCHEMA_DIR, SOAP_ENV
from tests.service.conftest import CBE_A, CBE_B, CTX, PASSWORD_A, PASSWORD_B, TODAY, USER_A, USER_B, W, X, Y, Z
from tests.service.test_soap_refusals import post

ROOT = Path(__file__).resolve().parents[2]
NS = batch_file.NS
V2_OPERATIONS = LIVING_WAGES.operations
AMOUNTS = "getLivingWagesWithAmount"
SERVICE_OF = {"LivingWagesV2": LIVING_WAGES, "LivingWagesV3": LIVING_WAGES_V3, None: None}


def _bad_ssin() -> str:
    candidate = X[:9] + f"{(int(X[9:]) + 1) % 100:02d}"
    assert identifiers.ssin_error(candidate) is not None
    return candidate


def criteria(ssin, begin, end=None, grouping=None, role=None) -> str:
    end_xml = f"<endDate>{end}</endDate>" if end else ""
    role_xml = f"<personRole>{role}</personRole>" if role else ""
    grouping_xml = f"<grouping>{grouping}</grouping>" if grouping else ""
    return f"<ssin>{ssin}</ssin>{role_xml}<period><beginDate>{begin}</beginDate>{end_xml}</period>{grouping_xml}"


def batch_xml(requests, batch_id="B-1", cbe=CBE_A, legal_context=CTX) -> str:
    """``requests``: (sequence, operation, criteria, service attribute or None)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<lwb:consultationBatch xmlns:lwb="{NS}" batchId="{batch_id}" cbeNumber="{cbe}" '
        f'legalContext="{legal_context}" fileCreationTimestamp="2026-07-10T08:00:00+02:00">',
    ]
    for sequence, operation, criteria_xml, service in requests:
        attribute = f' service="{service}"' if service else ""
        lines.append(
            f"  <request{attribute}>\n    <sequence>{sequence}</sequence><operation>{operation}</operation>\n"
            f"    <criteria>{criteria_xml}</criteria>\n  </request>"
        )
    lines.append("</lwb:consultationBatch>")
    return "\n".join(lines) + "\n"


def online_body(operation, criteria_xml, spec, cbe, legal_context) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:i="{spec.interface_ns}"><soapenv:Body>
<i:{operation}Request><informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber>
</customerIdentification></informationCustomer><legalContext>{legal_context}</legalContext>
<criteria>{criteria_xml}</criteria></i:{operation}Request></soapenv:Body></soapenv:Envelope>""".encode()


def responses(result: bytes) -> list[tuple[int, bytes, bytes]]:
    """(sequence, informationCBSS, status and payload) of each response, in file order."""
    found = re.findall(
        rb"<response><sequence>(\d+)</sequence>(<informationCBSS>.*?</informationCBSS>)(.*?)</response>", result
    )
    return [(int(sequence), information, rest) for sequence, information, rest in found]


def synthesis(result: bytes) -> dict[str, int]:
    element = etree.fromstring(result).find("synthesis")
    return {child.tag: int(child.text) for child in element}


def audit_records(home_settings) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(home_settings.audit.glob("audit-*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def mixed_requests() -> list[tuple]:
    """Good requests across every operation of V2, V3 and WithAmount, bad SSINs, people not integrated, criteria
    errors, nothing found; sequences out of order (the answers follow the file, not the numbers)."""
    found = []
    for operation in V2_OPERATIONS:
        found.append((operation, criteria(X, "2024-01-01"), None))
        found.append((operation, criteria(X, "2024-01-01", "2025-12-31"), "LivingWagesV3"))
        found.append((operation, criteria(X, "2024-06-01", "2024-01-01"), "LivingWagesV2"))  # end before begin
    found += [
        (AMOUNTS, criteria(X, "2026-01-01", "2026-05-31", "MONTH"), None),
        (AMOUNTS, criteria(X, "2025-01-01", None, "YEAR"), "LivingWagesWithAmount"),
        (AMOUNTS, criteria(Y, "2025-12-01", "2026-05-31", "MONTH", "PARTNER"), None),
        (AMOUNTS, criteria(W, "2026-01-01", "2026-05-31", "MONTH"), None),  # integrated for part of it
        (AMOUNTS, criteria(X, "2010-01-01", "2026-05-31", "MONTH"), None),  # more than 10 years
        (AMOUNTS, criteria(_bad_ssin(), "2026-01-01", "2026-05-31", "MONTH"), None),
        (AMOUNTS, criteria(Z, "2026-01-01", "2026-05-31", "MONTH"), None),  # not integrated then
        ("getLivingWagePeriods", criteria(_bad_ssin(), "2024-01-01"), None),
        ("getLivingWagePeriods", criteria(Z, "2024-01-01"), "LivingWagesV3"),
        ("getLivingWagePeriods", criteria(Y, "2024-01-01"), None),  # integrated, no right: nothing found
    ]
    sequences = [7 * i % 101 + 1 for i in range(len(found))]  # distinct, not increasing
    assert len(set(sequences)) == len(sequences)
    return [(sequence, *request) for sequence, request in zip(sequences, found, strict=True)]


CALLERS = {
    "institution A": (CBE_A, CTX, (USER_A, PASSWORD_A)),
    # B may only call getLivingWagePeriods in its context: the rest is refused (MSG00013), request by request
    "institution B": (CBE_B, "INAMI-health", (USER_B, PASSWORD_B)),
}


@pytest.mark.parametrize("who", sorted(CALLERS))
def test_every_request_of_a_mixed_file_is_answered_as_online_in_input_order(running, tmp_path, who):
    cbe, legal_context, credentials = CALLERS[who]
    requests = mixed_requests()
    source = tmp_path / "requests.xml"
    source.write_text(batch_xml(requests, batch_id=f"MIX-{cbe}", cbe=cbe, legal_context=legal_context))
    before = len(running.audit_records())

    outcome = batch.answer_file(running.settings, source, tmp_path / "result.xml", cbe, today=lambda: TODAY)

    result = (tmp_path / "result.xml").read_bytes()
    answered = responses(result)
    assert [sequence for sequence, _, _ in answered] == [r[0] for r in requests]  # one each, in input order
    statuses = []
    for (sequence, operation, criteria_xml, service), (_, information, rest) in zip(requests, answered, strict=True):
        spec = LIVING_WAGES_WITH_AMOUNT if operation == AMOUNTS else SERVICE_OF[service] or LIVING_WAGES
        online = post(
            running, online_body(operation, criteria_xml, spec, cbe, legal_context), spec, operation, credentials
        )
        assert online.status_code == 200, online.text
        expected = online.content[online.content.index(b"<status>") : online.content.rindex(b"</intf:")]
        assert rest == expected, f"request {sequence} ({operation}, {service})"
        assert re.fullmatch(rb"<informationCBSS><ticketCBSS>[0-9a-f-]{36}</ticketCBSS>.*", information)
        statuses.append(re.search(rb"<code>(MSG\d+)</code>", rest)[1].decode())
    if who == "institution A":
        assert {"MSG00000", "MSG00100", "MSG00008", "MSG00011", "MSG00012"} <= set(statuses)
    else:
        assert {"MSG00000", "MSG00013"} <= set(statuses)

    # the synthesis counts what the responses say; the result is valid against the batch schema
    values = [re.search(rb"<value>(\w+)</value>", rest)[1].decode() for _, _, rest in answered]
    assert (
        synthesis(result)
        == outcome.synthesis
        == {
            "requestCount": len(requests),
            "dataFound": values.count("DATA_FOUND"),
            "noDataFound": values.count("NO_DATA_FOUND"),
            "noResult": values.count("NO_RESULT"),
        }
    )
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / batch_file.SCHEMA_FILE)))
    assert schema.validate(etree.fromstring(result)), schema.error_log
    assert (tmp_path / "result.xml.GO").read_bytes() == b""

    # one audit record per request, channel BATCH, the batch id and sequence in its ticket, the online codes
    records = [r for r in running.audit_records() if (r["ticket"] or "").startswith(f"MIX-{cbe}#")]
    assert {r["channel"] for r in records} == {"BATCH"} and len(running.audit_records()) == before + 2 * len(records)
    assert [r["ticket"] for r in records] == [f"MIX-{cbe}#{r[0]}" for r in requests]
    assert [r["status_code"] for r in records] == statuses
    assert {(r["cbe_number"], r["legal_context"], r["snapshot_id"]) for r in records} == {
        (cbe, legal_context, outcome.snapshot_id)
    }
    tickets = [re.search(rb"<ticketCBSS>(.*?)</ticketCBSS>", information)[1].decode() for _, information, _ in answered]
    assert [r["ticket_cbss"] for r in records] == tickets


@pytest.fixture(scope="module")
def answered_alone(running, tmp_path_factory) -> dict[int, bytes]:
    """Each mixed request's status and payload, answered by one process in one chunk (by sequence)."""
    folder = tmp_path_factory.mktemp("alone")
    source = folder / "requests.xml"
    source.write_text(batch_xml(mixed_requests(), batch_id="ALONE"))
    batch.answer_file(running.settings, source, folder / "out.xml", CBE_A, today=lambda: TODAY, workers=1)
    return {sequence: rest for sequence, _, rest in responses((folder / "out.xml").read_bytes())}


runs = iter(range(1, 10**6))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(range(len(mixed_requests()))),
    size=st.integers(1, len(mixed_requests())),
    chunk=st.integers(1, 7),
    workers=st.integers(1, 3),
)
def test_any_file_any_chunks_any_processes_answer_in_input_order_as_one_process_does(
    running, answered_alone, tmp_path, order, size, chunk, workers
):
    """Chunks answered by several processes come back in the file's order, each answer as one process gives it."""
    every = mixed_requests()
    requests = [every[i] for i in order[:size]]
    run = next(runs)
    source = tmp_path / f"requests-{run}.xml"
    source.write_text(batch_xml(requests, batch_id=f"PAR-{run}"))
    output = tmp_path / f"result-{run}.xml"
    batch.answer_file(running.settings, source, output, CBE_A, today=lambda: TODAY, chunk=chunk, workers=workers)
    found = [(sequence, rest) for sequence, _, rest in responses(output.read_bytes())]
    assert found == [(r[0], answered_alone[r[0]]) for r in requests]
    assert synthesis(output.read_bytes())["requestCount"] == size


def test_no_published_snapshot_yet_is_one_line_and_nothing_written(tmp_path, capsys):
    source = tmp_path / "requests.xml"
    source.write_text(batch_xml([GOOD], batch_id="EARLY"))
    (tmp_path / "home").mkdir()  # a home, nothing published in it yet
    code = lww(["--home", str(tmp_path / "home"), "batch", str(source), str(tmp_path / "out"), "--institution", CBE_A])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no published data yet" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.GO").exists()


def test_the_same_batch_again_gets_the_stored_result_and_other_content_is_refused(running, tmp_path, capsys):
    requests = mixed_requests()[:4]
    source = tmp_path / "first.xml"
    source.write_text(batch_xml(requests, batch_id="DUP-1"))
    first = batch.answer_file(running.settings, source, tmp_path / "FO.first", CBE_A, today=lambda: TODAY)
    records = len(running.audit_records())

    again = batch.answer_file(running.settings, source, tmp_path / "FO.again", CBE_A, today=lambda: TODAY)

    assert (first.kind, again.kind) == ("answered", "duplicate")
    assert (tmp_path / "FO.again").read_bytes() == (tmp_path / "FO.first").read_bytes()
    assert (tmp_path / "GO.again").exists()
    assert len(running.audit_records()) == records  # not answered twice
    ledger = [
        json.loads(line) for line in (batch.batch_home(running.settings) / "ledger.jsonl").read_text().splitlines()
    ]
    assert [e["event"] for e in ledger if e.get("batch_id") == "DUP-1"] == ["answered", "duplicate"]

    other = tmp_path / "other.xml"
    other.write_text(batch_xml(requests[:3], batch_id="DUP-1"))
    code = lww(
        ["--home", str(running.settings.home), "batch", str(other), str(tmp_path / "FO.other"), "--institution", CBE_A]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "batchId DUP-1 was already answered" in err and "Traceback" not in err
    assert not (tmp_path / "FO.other").exists() and not (tmp_path / "GO.other").exists()
    assert len(running.audit_records()) == records


def test_a_file_naming_another_institution_is_refused_whole_with_msg00014(running, tmp_path, capsys):
    source = tmp_path / "requests.xml"
    source.write_text(batch_xml(mixed_requests()[:3], batch_id="OTHER-1", cbe=CBE_A))
    records = len(running.audit_records())
    code = lww(
        ["--home", str(running.settings.home), "batch", str(source), str(tmp_path / "out.xml"), "--institution", CBE_B]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "MSG00014" in err and CBE_A in err and CBE_B in err
    assert not (tmp_path / "out.xml").exists() and not (tmp_path / "out.xml.GO").exists()
    assert len(running.audit_records()) == records  # nothing answered


GOOD = (1, "getLivingWagePeriods", criteria(X, "2024-01-01"), None)
MALFORMED = {
    "not well-formed": (
        batch_xml([GOOD]).replace("</lwb:consultationBatch>", "</lwb:consultation>"),
        7,
        "tag mismatch",
    ),
    "breaks the batch schema": (
        batch_xml([GOOD]).replace("<operation>", "<op>").replace("</operation>", "</op>"),
        4,
        "op",
    ),
    "criteria break the operation's schema": (
        batch_xml([GOOD, (2, AMOUNTS, criteria(X, "2026-01-01"), None)]),
        9,
        "grouping",
    ),
    "unknown service for the operation": (
        batch_xml([GOOD, (2, AMOUNTS, criteria(X, "2026-01-01", None, "MONTH"), "LivingWagesV3")]),
        7,
        "not an operation of LivingWagesV3",
    ),
    "repeated sequence": (batch_xml([GOOD, GOOD]), 7, "sequence 1 repeats the request of line 3"),
    "a DOCTYPE": (
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n' + batch_xml([GOOD]).split("\n", 1)[1],
        1,
        "DOCTYPE",
    ),
    "a DOCTYPE after a long prolog": (
        '<?xml version="1.0"?>\n<!--'
        + "x" * 5000
        + '-->\n<!DOCTYPE x [<!ENTITY a "b">]>\n'
        + batch_xml([GOOD]).split("\n", 1)[1],
        4,
        "DOCTYPE",
    ),
    "an element of another namespace in a request": (
        batch_xml([GOOD]).replace("<sequence>1</sequence>", '<x:sequence xmlns:x="urn:other">1</x:sequence>'),
        4,
        "{urn:other}sequence",
    ),
}


def test_the_contracts_default_namespace_form_is_answered_as_the_prefixed_one(running, tmp_path, capsys):
    """CONTRACT §5 writes the root with the batch namespace as the default one, so every element of the file is in
    it; the project's XSD has them unqualified (the family's style). Both forms are the same requests."""
    requests = [GOOD, (2, AMOUNTS, criteria(X, "2026-01-01", None, "MONTH"), None)]
    prefixed = tmp_path / "prefixed.xml"
    prefixed.write_text(batch_xml(requests, batch_id="B-PREFIXED"))
    default = tmp_path / "default.xml"
    default.write_text(
        batch_xml(requests, batch_id="B-DEFAULT")
        .replace("<lwb:consultationBatch xmlns:lwb=", "<consultationBatch xmlns=")
        .replace("</lwb:consultationBatch>", "</consultationBatch>")
    )
    home = ["--home", str(running.settings.home)]
    for source in (prefixed, default):
        out = tmp_path / f"{source.stem}.out.xml"
        assert lww([*home, "batch", str(source), str(out), "--institution", CBE_A]) == 0, capsys.readouterr().err
    answers = [
        [
            (sequence, payload)
            for sequence, _information, payload in responses((tmp_path / f"{name}.out.xml").read_bytes())
        ]
        for name in ("prefixed", "default")
    ]
    assert answers[0] == answers[1] and [sequence for sequence, _ in answers[0]] == [1, 2]


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_file_is_refused_whole_in_one_line_naming_its_line(running, tmp_path, capsys, case):
    text, line, words = MALFORMED[case]
    source = tmp_path / "requests.xml"
    source.write_text(text)
    records = len(running.audit_records())
    code = lww(
        ["--home", str(running.settings.home), "batch", str(source), str(tmp_path / "out.xml"), "--institution", CBE_A]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"line {line}" in err and words in err, err
    assert not (tmp_path / "out.xml").exists()
    assert len(running.audit_records()) == records


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(2, 40), data=st.data())
def test_a_repeated_sequence_anywhere_is_named_by_its_line(tmp_path, count, data):
    sequences = data.draw(st.lists(st.integers(1, 10**15 - 1), min_size=count, max_size=count, unique=True))
    first = data.draw(st.integers(0, count - 1))
    again = data.draw(st.integers(0, count - 1).filter(lambda i: i != first))
    sequences[again] = sequences[first]
    path = tmp_path / "repeats.xml"
    path.write_text(batch_xml([(s, "getLivingWagePeriods", criteria(X, "2024-01-01"), None) for s in sequences]))
    with pytest.raises(batch_file.Refused) as refused:
        batch_file.check(path)
    low, high = sorted((first, again))
    # each request takes 4 lines after the 2 of the header; the later one is named, with the earlier one's line
    assert f"line {3 + 4 * high}: sequence {sequences[first]} repeats the request of line {3 + 4 * low}" in str(
        refused.value
    )


def test_a_batch_killed_mid_way_and_run_again_gives_one_complete_result(running, tmp_path):
    count = 4000
    requests = [(i, "getLivingWagePeriods", criteria(X, "2024-01-01"), None) for i in range(1, count + 1)]
    source = tmp_path / "big.xml"
    source.write_text(batch_xml(requests, batch_id="KILL-1"))
    output = tmp_path / "FO.killed"
    store = batch.batch_home(running.settings) / "results" / CBE_A / "KILL-1"
    environment = {**os.environ, "LWW_BATCH_CHUNK": "50", "LWW_BATCH_PROCESSES": "2", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "lww.cli", "--home", str(running.settings.home), "batch", str(source), str(output)]
    process = subprocess.Popen([*command, "--institution", CBE_A], env=environment, cwd=ROOT)
    deadline = time.monotonic() + 120
    while not (store / "result.xml.partial").exists() or (store / "result.xml.partial").stat().st_size < 200_000:
        assert process.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not output.exists() and not (tmp_path / "GO.killed").exists()  # nothing released
    assert not (store / "done.json").exists()

    # answered again (from today's date, so the rerun is from the CLI as well, with the rights operation)
    done = subprocess.run([*command, "--institution", CBE_A], env=environment, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = output.read_bytes()
    assert [sequence for sequence, _, _ in responses(result)] == list(range(1, count + 1))
    assert synthesis(result)["requestCount"] == count
    assert (tmp_path / "GO.killed").exists()
    assert not list(store.glob("parts-*")) and not (store / "result.xml.partial").exists()


def _drop(home_settings, name: str, text: str, sender: str = CBE_A) -> Path:
    folder = batch.inbox(home_settings, sender)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_the_drop_folder_answers_fi_files_into_fo_files_and_explains_refusals(running, capsys):
    good = _drop(running.settings, f"FI.LWCB.{CBE_A}.20260710.1.T.1.1", batch_xml([GOOD], batch_id="DROP-1"))
    misnamed = _drop(running.settings, f"FI.LWCB.{CBE_B}.20260710.2.T.1.1", batch_xml([GOOD], batch_id="DROP-2"))
    broken = _drop(running.settings, f"FI.LWCB.{CBE_A}.20260710.3.T.1.1", "<not a batch")

    assert lww(["--home", str(running.settings.home), "batch", "--watch", "--once"]) == 0

    out = batch.outbox(running.settings, CBE_A)
    result = (out / f"FO.LWCB.{CBE_A}.20260710.1.T.1.1").read_bytes()
    assert synthesis(result)["requestCount"] == 1
    assert (out / f"GO.LWCB.{CBE_A}.20260710.1.T.1.1").exists()
    assert not good.exists() and (batch.batch_home(running.settings) / "archive" / CBE_A / good.name).exists()
    assert "MSG00014" in batch.reason_path(misnamed).read_text()
    assert "line 1" in batch.reason_path(broken).read_text()
    assert batch.pending_files(running.settings) == []  # refused files wait beside their reason
    capsys.readouterr()


def test_the_dagster_sensor_starts_a_run_per_dropped_file(running):
    home = str(running.settings.home)
    first = _drop(running.settings, f"FI.LWCB.{CBE_A}.20260711.1.T.1.1", batch_xml([GOOD], batch_id="DAG-1"))
    second = _drop(running.settings, f"FI.LWCB.{CBE_A}.20260711.2.T.1.1", batch_xml([GOOD], batch_id="DAG-2"))
    context = dg.build_sensor_context(resources={"warehouse": Warehouse(home=home)})
    runs = list(batch_drop_sensor(context))
    assert [r.tags["lww/batch_file"] for r in runs] == [first.name, second.name]
    assert len({r.run_key for r in runs}) == 2

    executed = batch_job.execute_in_process(
        run_config=runs[0].run_config, resources={"warehouse": Warehouse(home=home)}
    )
    assert executed.success
    metadata = executed.get_step_success_events()[0]
    assert metadata is not None
    assert (batch.outbox(running.settings, CBE_A) / f"FO.LWCB.{CBE_A}.20260711.1.T.1.1").exists()
    assert [path for _, path in batch.pending_files(running.settings)] == [second]


def test_the_batch_schema_is_served_beside_the_schemas_it_imports(running):
    served = httpx.get(f"{running.url}/batch/v1/consultationBatch.xsd", timeout=5)
    assert served.status_code == 200
    assert served.content == (SCHEMA_DIR / batch_file.SCHEMA_FILE).read_bytes()
    imports = etree.fromstring(served.content).findall("{http://www.w3.org/2001/XMLSchema}import")
    assert {i.get("schemaLocation") for i in imports} >= {"CommonV3.xsd", "LivingWagesWithAmountV1.xsd"}
    for item in imports:
        assert httpx.get(f"{running.url}/batch/v1/{item.get('schemaLocation')}", timeout=5).status_code == 200
    assert httpx.get(f"{running.url}/batch/v1/nothing.xsd", timeout=5).status_code == 404

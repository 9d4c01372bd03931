"""The JSON mirror and OpenAPI, health and metrics, the audit log's one-record-per-request, hot reload."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from kernel.audit import FIELDS
from tests.service.conftest import (
    CBE_A,
    CTX,
    P_WA,
    PASSWORD_A,
    PASSWORD_B,
    USER_A,
    USER_B,
    RunningService,
    X,
    Y,
    Z,
    basic,
    fixture_rows,
    home_with_fixture,
    publish,
)
from tests.service.test_soap_refusals import envelope, post, status_of

AMOUNTS_URL = "/api/v1/LivingWagesWithAmount/getLivingWagesWithAmount"


def amount_request(ssin=X, begin="2026-05-01", end="2026-05-31", **criteria) -> dict:
    period = {"beginDate": begin, **({"endDate": end} if end else {})}
    return {
        "informationCustomer": {"ticket": "j-1", "customerIdentification": {"cbeNumber": CBE_A}},
        "legalContext": CTX,
        "criteria": {"ssin": ssin, "period": period, "grouping": "MONTH", **criteria},
    }


def test_json_amounts_mirror_the_soap_answer(running):
    response = httpx.post(running.url + AMOUNTS_URL, json=amount_request(), headers=basic(USER_A, PASSWORD_A))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == {
        "value": "DATA_FOUND",
        "code": "MSG00000",
        "description": "Data found",
        "information": [],
    }
    assert answer["referenceDate"] == "2026-07-04" and answer["lastMonthIsLastIndemnified"] is True
    first = answer["amount"][1]
    assert (first["month"], first["pcsaCbeNumber"], first["amount"], first["partnerSsin"]) == (
        "2026-05",
        P_WA,
        "876.13",
        Y,
    )
    assert first["grantPeriod"] == [{"beginDate": "2026-05-01", "endDate": "2026-05-31"}]
    assert isinstance(first["amount"], str)  # never a float
    assert answer["criteria"]["personRole"] == "BENEFICIARY" and answer["informationCustomer"]["ticket"] == "j-1"


def test_json_rights_and_refusals(running):
    body = {k: v for k, v in amount_request(begin="2024-01-01", end=None).items()}
    body["criteria"] = {"ssin": X, "period": {"beginDate": "2024-01-01"}}
    response = httpx.post(
        running.url + "/api/v1/LivingWages/getLivingWagePeriods", json=body, headers=basic(USER_A, PASSWORD_A)
    )
    assert response.json()["livingWagePeriod"] == [
        {"beginDate": "2024-03-01", "endDate": "2024-12-31"},
        {"beginDate": "2025-03-01", "endDate": "2026-07-04"},
    ]
    not_integrated = httpx.post(
        running.url + AMOUNTS_URL, json=amount_request(ssin=Z), headers=basic(USER_A, PASSWORD_A)
    ).json()
    assert not_integrated["status"]["code"] == "MSG00012"
    assert httpx.post(running.url + AMOUNTS_URL, json=amount_request(), headers=basic(USER_A, "no")).status_code == 401
    invalid = httpx.post(
        running.url + AMOUNTS_URL, json=amount_request(grouping="WEEK"), headers=basic(USER_A, PASSWORD_A)
    )
    assert invalid.status_code == 400 and invalid.json()["fault"]["reasonCode"] == "MSG00008"
    assert "grouping" in invalid.json()["fault"]["diagnostic"]
    malformed = httpx.post(
        running.url + AMOUNTS_URL,
        content=b"{not json",
        headers={**basic(USER_A, PASSWORD_A), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400


def test_openapi_documents_the_mirror(running):
    document = httpx.get(running.url + "/api/v1/openapi.json").json()
    assert AMOUNTS_URL in document["paths"]
    assert "/api/v1/LivingWages/getLivingWagesPeriodsPerPCSA" not in document["paths"]
    assert all(
        f"/api/v1/LivingWages/{op}" in document["paths"]
        for op in (
            "getLivingWagePeriods",
            "getLivingWagePeriodsFlanders",
            "getLivingWagePeriodsPerPCSA",
            "getLivingWagePeriodsPerPCSAFlanders",
            "getLivingWages",
        )
    )
    operation = document["paths"][AMOUNTS_URL]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"informationCustomer", "legalContext", "criteria"}
    assert "AmountCriteria" in document["components"]["schemas"]
    assert not any(path.startswith("/soap") for path in document["paths"])


def test_health_and_metrics(running):
    health = httpx.get(running.url + "/health").json()
    assert health["status"] == "ok" and health["referenceDate"] == "2026-07-04"
    post(running, envelope())
    text = httpx.get(running.url + "/metrics").text
    assert (
        'lww_service_requests_total{channel="SOAP",http_status="200",operation="getLivingWagesWithAmount",'
        'status_code="MSG00000"}' in text
    )
    assert "lww_service_request_duration_seconds_bucket" in text
    assert f'lww_service_snapshot_info{{reference_date="2026-07-04",refresh_id="{health["snapshot"]}"}} 1.0' in text
    assert "lww_service_snapshot_age_seconds" in text


def test_audit_log_has_exactly_one_record_per_request(service):
    outcomes = [
        post(service, envelope()).status_code,
        post(service, envelope(), auth=(USER_A, "wrong")).status_code,
        post(service, b"<broken").status_code,
        httpx.post(service.url + AMOUNTS_URL, json=amount_request(), headers=basic(USER_A, PASSWORD_A)).status_code,
        httpx.post(service.url + AMOUNTS_URL, json=amount_request(), headers=basic("x", "y")).status_code,
    ]
    httpx.get(service.url + "/health")  # not a consultation: not audited
    assert outcomes == [200, 401, 500, 200, 401]
    files = list(service.settings.audit.glob("audit-*.jsonl"))
    assert len(files) == 1 and files[0].name.endswith(f"-{__import__('os').getpid()}.jsonl")
    lines = files[0].read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["channel"] for r in records] == ["SOAP", "SOAP", "SOAP", "JSON", "JSON"]
    assert all(tuple(r) == FIELDS for r in records)
    assert len({r["record_id"] for r in records}) == 5


def test_audit_log_rotates_by_size(tmp_path):
    from service.audit import AuditLog

    log = AuditLog(tmp_path, max_bytes=600)
    for i in range(6):
        log.write(
            {
                "channel": "SOAP",
                "ticket_cbss": f"t{i}",
                "status_code": "MSG00000",
                "http_status": 200,
                "duration_ms": 1.0,
            }
        )
    log.close()
    files = sorted(tmp_path.glob("audit-*.jsonl"))
    assert len(files) >= 2
    assert sum(len(f.read_text().splitlines()) for f in files) == 6


def wait_serving(running, refresh_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while httpx.get(running.url + "/health").json()["snapshot"] != refresh_id:
        assert time.monotonic() < deadline, "the new snapshot was not picked up"
        time.sleep(0.05)


def test_hot_reload_switches_snapshot_password_and_data(tmp_path, fixture_published):
    home = home_with_fixture(tmp_path / "home", fixture_published)
    with RunningService(home) as running:
        assert status_of(post(running, envelope()))[1] == "MSG00000"
        old = running.service.store.get()
        rows = fixture_rows(password_a="new-password")
        rows["monthly_amounts"] = [r for r in rows["monthly_amounts"] if r[0] != X]
        new_id = publish(running.settings.published, rows)

        # the switch is noticed at the next request; the new snapshot is loaded beside the old one, then swapped
        wait_serving(running, new_id)
        # the old password no longer works (cached verification keyed on the old hash), the new one does
        assert post(running, envelope()).status_code == 401
        assert status_of(post(running, envelope(), auth=(USER_A, "new-password")))[1] == "MSG00100"
        # a request that started on the old snapshot still has all of it
        assert len(old.amounts("MONTH", "BENEFICIARY").rows(X)) == 8
        records = running.audit_records()
        assert records[0]["snapshot_id"] == old.refresh_id and records[-1]["snapshot_id"] == new_id


def test_switches_under_load_fail_no_request(tmp_path, fixture_published):
    home = home_with_fixture(tmp_path / "home", fixture_published)
    with RunningService(home) as running:
        stop = threading.Event()
        results: list[int] = []

        def client() -> None:
            with httpx.Client(headers=basic(USER_A, PASSWORD_A)) as http:
                while not stop.is_set():
                    response = http.post(running.url + AMOUNTS_URL, json=amount_request())
                    ok = response.status_code == 200 and response.json()["status"]["code"] == "MSG00000"
                results.append(200 if ok else response.status_code)
                if not ok:
                    print(response.text)

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(client) for _ in range(4)]
            for _ in range(3):
                last = publish(running.settings.published, fixture_rows())
                time.sleep(0.3)
            wait_serving(running, last)
            stop.set()
            for future in futures:
                future.result()
        assert results and set(results) == {200}
        assert running.service.store.reloads >= 2


def test_audit_group_commit_keeps_every_record_of_concurrent_writers(tmp_path):
    from service.audit import AuditLog

    log = AuditLog(tmp_path, max_bytes=20_000)  # small: rotations happen while writers run

    def writer(k: int) -> None:
        for i in range(40):
            log.write(
                {
                    "channel": "SOAP",
                    "ticket_cbss": f"{k}-{i}",
                    "status_code": "MSG00000",
                    "http_status": 200,
                    "duration_ms": 1.0,
                }
            )

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    tickets = [
        json.loads(line)["ticket_cbss"]
        for path in tmp_path.glob("audit-*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert sorted(tickets) == sorted(f"{k}-{i}" for k in range(6) for i in range(40))
    assert len(list(tmp_path.glob("audit-*.jsonl"))) > 1
    assert 1 <= log.syncs <= 240


def test_audit_durable_from_an_event_loop_shares_flushes(tmp_path):
    from service.audit import AuditLog

    log = AuditLog(tmp_path)

    async def request(i: int) -> None:  # what the service's event loop does per consultation
        await log.durable(log.append({"channel": "SOAP", "ticket_cbss": f"t{i}", "http_status": 200}))

    async def many() -> None:
        await asyncio.gather(*(request(i) for i in range(200)))

    asyncio.run(many())
    assert log._synced == 200  # every record was durable before its request went on
    assert 1 <= log.syncs < 200  # concurrent requests shared flushes
    log.close()
    lines = [json.loads(line) for line in next(tmp_path.glob("audit-*.jsonl")).read_text().splitlines()]
    assert sorted(r["ticket_cbss"] for r in lines) == sorted(f"t{i}" for i in range(200))


def _loop_requests(log, count: int, start: int = 0):
    """``count`` consultations' records awaited together on an event loop, as the service's loop does."""

    async def request(i: int) -> None:
        await log.durable(log.append({"channel": "SOAP", "ticket_cbss": f"t{i}", "http_status": 200}))

    return asyncio.gather(*(request(i) for i in range(start, start + count)), return_exceptions=True)


def test_audit_syncer_flushes_for_the_loop_in_another_process(tmp_path):
    from service.audit import AuditLog

    log = AuditLog(tmp_path)

    async def run() -> tuple[list, int]:
        log.start_syncer()
        pid = log._syncer.process.pid
        results = await _loop_requests(log, 300)
        results += await _loop_requests(log, 1, 300)  # one alone: flushed too
        log.stop_syncer()
        return results, pid

    results, pid = asyncio.run(run())
    assert results == [None] * 301
    assert log._synced == 301 and 1 <= log.syncs < 301  # flushes shared by the records written meanwhile
    assert log._syncer is None and not Path(f"/proc/{pid}").exists()  # stopped with the loop's channel
    log.close()
    lines = next(tmp_path.glob("audit-*.jsonl")).read_text().splitlines()
    assert sorted(json.loads(line)["ticket_cbss"] for line in lines) == sorted(f"t{i}" for i in range(301))


def test_audit_syncer_failure_withholds_only_what_it_covered(tmp_path):
    """A flush that fails in the syncer (here a real ``fdatasync`` refused by the kernel: the file handed over
    is a pipe) fails the records it covered; the loop's next records go to a good file again."""
    from service.audit import AuditLog, AuditUnavailable

    log = AuditLog(tmp_path)

    async def run() -> tuple[list, list]:
        log.start_syncer()
        assert await _loop_requests(log, 3) == [None] * 3
        read_end, write_end = os.pipe()
        good_fd, log._fd = log._fd, write_end  # as if the file were swapped under the log: unsyncable
        log._generation += 1
        failed = await _loop_requests(log, 4, 3)
        log._fd = good_fd
        log._generation += 1
        after = await _loop_requests(log, 2, 7)
        log.stop_syncer()
        os.close(read_end)
        os.close(write_end)
        return failed, after

    failed, after = asyncio.run(run())
    assert all(isinstance(result, AuditUnavailable) for result in failed) and len(failed) == 4
    assert "Invalid argument" in str(failed[0])
    assert after == [None, None]
    log.close()


def test_a_lost_audit_syncer_leaves_the_loop_flushing_for_itself(tmp_path, caplog):
    from service.audit import AuditLog

    log = AuditLog(tmp_path)

    async def run() -> list:
        log.start_syncer()
        assert await _loop_requests(log, 5) == [None] * 5
        log._syncer.process.kill()
        log._syncer.process.wait()
        return await _loop_requests(log, 20, 5)  # waiting when the loss is noticed: flushed by the loop

    assert asyncio.run(run()) == [None] * 20
    assert log._syncer is None and log._synced == 25
    assert "the event loop flushes the audit log itself" in caplog.text
    log.close()


def test_an_audit_record_that_cannot_be_made_durable_withholds_the_answer(tmp_path, fixture_published, monkeypatch):
    import service.audit

    home = home_with_fixture(tmp_path / "home", fixture_published)
    with RunningService(home) as running:
        assert post(running, envelope()).status_code == 200  # credentials now cached: answered on the loop
        syncer = running.service.audit._syncer
        assert syncer is not None and syncer.process.poll() is None  # the loop's flushes are the syncer's
        syncer.process.kill()  # lost: the loop notices and flushes for itself (tested apart as well)
        assert post(running, envelope()).status_code == 200  # nothing lost: flushed by the loop
        assert running.service.audit._syncer is None

        def failing(fd: int) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(service.audit.os, "fdatasync", failing)
        inline = post(running, envelope())
        json_answer = httpx.post(running.url + AMOUNTS_URL, json=amount_request(), headers=basic(USER_A, PASSWORD_A))
        threaded = post(running, envelope(), auth=(USER_B, PASSWORD_B))  # not cached: verified in a thread
        assert [inline.status_code, json_answer.status_code, threaded.status_code] == [500, 500, 500]
        assert inline.text == json_answer.text == threaded.text == "audit log unavailable\n"
        monkeypatch.undo()
        assert post(running, envelope()).status_code == 200  # the disk is back: answers again
        text = httpx.get(running.url + "/metrics").text
        assert 'http_status="500"' in text and 'status_code="MSG00003"' in text

"""The failure sensor posts a failed run to the operators' webhook: a real local HTTP server receives it."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagster_project import webhook
from dagster_project.resources import Warehouse
from dagster_project.sensors import refresh_failure_sensor


class Receiver:
    """A webhook on a loopback port: what it answers (status, delay), what it received."""

    def __init__(self, status: int = 200, delay_s: float = 0.0, location: str = "") -> None:
        self.status, self.delay_s, self.location = status, delay_s, location
        self.received: list[tuple[str, dict, dict]] = []


@contextmanager
def serving(receiver: Receiver) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append((self.path, dict(self.headers), json.loads(body)))
            time.sleep(receiver.delay_s)
            self.send_response(receiver.status)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            receiver.received.append((self.path, dict(self.headers), {}))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dg.op
def published__snapshot():  # the refresh's publish step key
    raise dg.Failure(description="the warehouse is busy: pid 4242 holds it", allow_retries=False)


@dg.job(name="refresh")
def failing_refresh():
    published__snapshot()


def _failure_context(home, instance: dg.DagsterInstance) -> dg.RunFailureSensorContext:
    result = failing_refresh.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = next(
        e.dagster_event
        for e in instance.all_logs(result.run_id)
        if e.dagster_event_type == dg.DagsterEventType.RUN_FAILURE
    )
    return dg.build_run_status_sensor_context(
        sensor_name=refresh_failure_sensor.name,
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=run,
        resources={"warehouse": Warehouse(home=str(home))},
    ).for_run_failure()


def test_a_failed_refresh_is_posted_once_as_a_small_json_body(tmp_path, monkeypatch):
    receiver = Receiver()
    with serving(receiver) as url, dg.DagsterInstance.ephemeral() as instance:
        monkeypatch.setenv(webhook.WEBHOOK_ENV, f"{url}/hooks/lww")
        context = _failure_context(tmp_path, instance)
        refresh_failure_sensor(context)
    [(path, headers, body)] = receiver.received
    assert path == "/hooks/lww"
    assert headers["Content-Type"] == "application/json"
    assert body == {
        "run": context.dagster_run.run_id,
        "job": "refresh",
        "step": "publish",
        "cause": "the warehouse is busy: pid 4242 holds it",
    }
    # the log on disk is kept as before
    assert context.dagster_run.run_id in (tmp_path / "logs" / "failed-refreshes.log").read_text()


def test_without_a_webhook_nothing_is_posted_and_the_log_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(webhook.WEBHOOK_ENV, raising=False)
    with dg.DagsterInstance.ephemeral() as instance:
        context = _failure_context(tmp_path, instance)
        refresh_failure_sensor(context)
    assert "run " in (tmp_path / "logs" / "failed-refreshes.log").read_text()


def test_a_redirect_is_not_followed(tmp_path):
    elsewhere = Receiver()
    with serving(elsewhere) as other:
        receiver = Receiver(status=307, location=f"{other}/stolen")
        with serving(receiver) as url:
            outcome = webhook.post(url, webhook.FailedRun("r1", "refresh", "dbt", "boom"))
    assert "HTTP 307" in outcome
    assert len(receiver.received) == 1
    assert elsewhere.received == []  # the body went nowhere else


def test_a_slow_webhook_times_out_and_the_sensor_still_ends(tmp_path, monkeypatch):
    receiver = Receiver(delay_s=3.0)
    with serving(receiver) as url, dg.DagsterInstance.ephemeral() as instance:
        started = time.monotonic()
        outcome = webhook.post(url, webhook.FailedRun("r1", "refresh", "dbt", "boom"), timeout_s=0.5)
        assert time.monotonic() - started < 2.5
        assert outcome.startswith("the webhook could not be reached")
        monkeypatch.setattr(webhook, "TIMEOUT_S", 0.5)
        monkeypatch.setenv(webhook.WEBHOOK_ENV, url)
        refresh_failure_sensor(_failure_context(tmp_path, instance))  # does not raise


@pytest.mark.parametrize("status", [400, 500, 503])
def test_an_error_answer_is_reported_not_raised(status):
    receiver = Receiver(status=status)
    with serving(receiver) as url:
        outcome = webhook.post(url, webhook.FailedRun("r1", "refresh", "publish", "boom"))
    assert f"HTTP {status}" in outcome and len(receiver.received) == 1


@pytest.mark.parametrize("url", ["ftp://example.invalid/x", "not a url", "http://127.0.0.1:1/closed"])
def test_a_bad_or_unreachable_url_is_one_line_never_an_exception(url):
    outcome = webhook.post(url, webhook.FailedRun("r1", "refresh", "ingest", "boom"), timeout_s=1.0)
    assert outcome and "\n" not in outcome


@given(st.text(max_size=2000))
def test_the_body_is_json_with_the_four_fields_whatever_the_cause(cause):
    failed = webhook.FailedRun("r", "refresh", "dbt", cause)
    assert json.loads(failed.body()) == {"run": "r", "job": "refresh", "step": "dbt", "cause": cause}

"""The benchmarks' server: the production application wrapped (``bench.service_app``), never patched.

The production application has no bench endpoint; the bench's factory adds the floor, and its ladder knobs take
one part of the data path away each without touching the production code.
"""

from __future__ import annotations

import functools

import httpx
from lxml import etree

from bench.service_app import FLOOR_PATH, create_bench_app
from service.schemas import LIVING_WAGES_WITH_AMOUNT, SOAP_ENV, validator
from tests.service.conftest import RunningService, home_with_fixture
from tests.service.test_soap_refusals import envelope, post


def _payload(content: bytes) -> etree._Element:
    return etree.fromstring(content).find(f"{{{SOAP_ENV}}}Body")[0]


def test_the_production_app_has_no_bench_endpoint(running):
    assert post(running, envelope()).status_code == 200
    assert httpx.post(running.url + FLOOR_PATH, content=envelope(), timeout=10).status_code == 404
    assert not [route for route in running.server.config.app.routes if route.path.startswith("/bench")]


def test_the_floor_answers_a_fixed_valid_answer_of_the_rows_asked(tmp_path, fixture_published):
    factory = functools.partial(create_bench_app, floor_rows=5)
    with RunningService(home_with_fixture(tmp_path / "home", fixture_published), app_factory=factory) as bench:
        first = httpx.post(bench.url + FLOOR_PATH, content=envelope(), timeout=10)
        second = httpx.post(bench.url + FLOOR_PATH, content=envelope(), timeout=10)
        refused = httpx.post(bench.url + FLOOR_PATH, content=b"<x/>", timeout=10)
        assert bench.audit_records() == []  # no credentials, no data, no audit
    assert first.status_code == 200 and first.content == second.content  # rendered once
    payload = _payload(first.content)
    assert validator(LIVING_WAGES_WITH_AMOUNT).validate(payload), validator(LIVING_WAGES_WITH_AMOUNT).error_log
    assert len(payload.findall("amount")) == 5
    assert refused.status_code == 500


def test_the_ladder_takes_one_part_away_at_a_time(tmp_path, fixture_published):
    found = {}
    for step in ("full", "no-fsync", "no-audit", "fixed-answer"):
        factory = functools.partial(create_bench_app, floor_rows=2, ladder=step)
        home = home_with_fixture(tmp_path / step, fixture_published)
        with RunningService(home, app_factory=factory) as bench:
            answer = post(bench, envelope())
            floor = httpx.post(bench.url + FLOOR_PATH, content=envelope(), timeout=10)
            found[step] = (answer.status_code, len(bench.audit_records()), answer.content == floor.content)
            rows = len(_payload(answer.content).findall("amount"))
            found[step] += (rows,)
    assert found == {
        "full": (200, 1, False, 7),  # X's rows of 2026-01..05 (two more in May)
        "no-fsync": (200, 1, False, 7),  # written, not waited for
        "no-audit": (200, 0, False, 7),
        "fixed-answer": (200, 0, True, 2),  # the floor's fixed answer instead of the rows
    }

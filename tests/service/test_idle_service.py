"""An idle service notices a publication within seconds: each worker looks at CURRENT by itself, so /health and
/metrics name the new snapshot without any request having arrived since the switch."""

from __future__ import annotations

import datetime as dt
import time

import httpx

from service.snapshot_store import WATCH_S
from tests.service.conftest import RunningService, fixture_rows, home_with_fixture, publish
from tests.service.test_serve_workers import two_workers  # noqa: F401 - the fixture

R_MIDMONTH = dt.date(2026, 7, 10)  # not a first Saturday: A(R) is 4 July


def test_an_idle_worker_loads_a_new_snapshot_and_health_names_it_with_a_of_r(tmp_path, fixture_published):
    with RunningService(home_with_fixture(tmp_path / "home", fixture_published)) as running:
        old = httpx.get(running.url + "/health").json()["snapshot"]
        new_id = publish(running.settings.published, fixture_rows(), reference_date=R_MIDMONTH)
        deadline = time.monotonic() + 10 * WATCH_S + 10
        while (running.service.store.loaded.refresh_id == old) and time.monotonic() < deadline:
            time.sleep(0.1)  # no request meanwhile
        health = httpx.get(running.url + "/health").json()
        assert health == {
            "status": "ok",
            "snapshot": new_id,
            "referenceDate": "2026-07-10",
            "amountsDate": "2026-07-04",
        }
        assert f'refresh_id="{new_id}"' in httpx.get(running.url + "/metrics").text


def test_every_idle_worker_of_lww_serve_names_the_new_snapshot_in_the_metrics(two_workers):  # noqa: F811
    home, url = two_workers
    with httpx.Client(timeout=30) as client:
        first = client.get(url + "/health", headers={"Connection": "close"}).json()["snapshot"]
        new_id = publish(home / "published", fixture_rows(), reference_date=dt.date(2026, 8, 1))
        time.sleep(5 * WATCH_S + 3)  # idle: no request reaches either worker
        text = client.get(url + "/metrics", headers={"Connection": "close"}).text
    serving = [line for line in text.splitlines() if line.startswith("lww_service_worker_snapshot{")]
    assert sum(f'refresh_id="{new_id}"' in line and line.endswith(" 1.0") for line in serving) == 2, serving
    assert not any(f'refresh_id="{first}"' in line and line.endswith(" 1.0") for line in serving), serving

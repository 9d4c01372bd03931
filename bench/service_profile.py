"""Where the time of one getLivingWagesWithAmount request goes, in process (no HTTP, no client): snapshot
check, authentication (cached), safe parse + XSD validation, the answer from the in-memory index, the response
text, the audit record (write + fdatasync).

    nice -n 10 .venv/bin/python -m bench.service_profile /tmp/lww-service-bench/b170000-y15 [--requests 500]

The folder is a ``LWW_HOME`` with a published snapshot made by ``bench/service_bench.py``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

from bench.service_bench import PASSWORD, USER, envelope, sample_ssins
from kernel.settings import settings
from service import consult
from service.channels import SOAP_CHANNELS
from service.handlers import ConsultationService
from service.pipeline import Incoming
from service.schemas import LIVING_WAGES_WITH_AMOUNT as SPEC

STEPS = ("snapshot", "auth", "parse+validate", "answer", "render", "audit", "total")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    service = ConsultationService(settings(args.home), today=lambda: dt.date(2026, 11, 20))
    started = time.perf_counter()
    service.store.get()
    print(f"snapshot loaded in {time.perf_counter() - started:.1f} s")
    ssins = sample_ssins(Path(args.home), args.requests)
    channel = SOAP_CHANNELS[SPEC.name]
    header = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    timings: dict[str, list[float]] = {step: [] for step in STEPS}
    rows = 0
    for ssin in ssins:
        body = envelope(ssin)
        t0 = time.perf_counter()
        snapshot = service.store.get()
        t1 = time.perf_counter()
        caller = service.auth.authenticate(header, "127.0.0.1", snapshot.credentials)
        t2 = time.perf_counter()
        request = channel.parse(Incoming(body))
        t3 = time.perf_counter()
        answer = consult.answer(request.consultation, caller.cbe_number, snapshot, dt.date(2026, 11, 20))
        t4 = time.perf_counter()
        channel.render(request, answer, "00000000-0000-0000-0000-000000000000", dt.datetime.now(dt.UTC))
        t5 = time.perf_counter()
        service.audit.write(
            {
                "channel": "SOAP",
                "ticket_cbss": "bench",
                "status_code": answer.status.code,
                "http_status": 200,
                "duration_ms": (t5 - t0) * 1000,
            }
        )
        t6 = time.perf_counter()
        rows += len(answer.amounts or ())
        for step, seconds in zip(STEPS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t6 - t0), strict=True):
            timings[step].append(seconds * 1000)
    print(f"{len(ssins)} requests, {rows / len(ssins):.1f} rows per answer")
    for step in STEPS:
        values = sorted(timings[step])
        p99 = values[int(len(values) * 0.99) - 1]
        mean, median = statistics.mean(values), statistics.median(values)
        print(f"{step:>15}: mean {mean:7.3f} ms   p50 {median:7.3f} ms   p99 {p99:7.3f} ms")
    service.audit.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The service as the benchmarks run it: the production application, wrapped, with a floor and the ladder's knobs.

Nothing here is in the production application, and nothing patches it: :func:`create_bench_app` builds the real
one (``service.app.create_app``) and adds to it.

- ``/bench/floor``: parse and validate a getLivingWagesWithAmount request, return a fixed answer of
  ``floor_rows`` amount rows rendered once by the real renderer: the cost of the stack alone (no credentials, no
  data, no audit). The benchmarks set ``floor_rows`` to the mean size of the data path's answers.
- ``ladder``, the data path with one part taken away (``bench/service_ladder.py``): ``full`` (nothing taken),
  ``no-fsync`` (the audit record written, the answer not held for its ``fdatasync``), ``no-audit`` (no record),
  ``fixed-answer`` (no record, and the floor's fixed answer sent instead of the rendered rows).

Served like ``lww serve``, in worker processes that build the app from the environment:

    .venv/bin/python -m bench.service_app --home DIR --port 18080 --workers 2 [--floor-rows 42] [--ladder full]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import tempfile
import uuid
from pathlib import Path

import pyarrow as pa
from fastapi import FastAPI, Request, Response

from kernel import codes
from kernel.settings import Settings, env_number
from service import consult
from service.app import create_app, read_body
from service.channels import SOAP_CHANNELS
from service.channels.soap import XML, SoapRequest
from service.channels.with_amount import WithAmountChannel
from service.handlers import ConsultationService
from service.index import AmountsIndex
from service.pipeline import Incoming, Invalid, Reply
from service.schemas import LIVING_WAGES_WITH_AMOUNT

FLOOR_PATH = "/bench/floor"
LADDER = ("full", "no-fsync", "no-audit", "fixed-answer")
APP = "bench.service_app:app_from_environment"


def _floor_index(rows: int) -> AmountsIndex:
    """An amounts index of one person with ``rows`` monthly rows (the data path's typical answer)."""
    months = [dt.date(2016 + (11 + i) // 12, (11 + i) % 12 + 1, 1) for i in range(rows)]
    grants = pa.struct([("begin_date", pa.date32()), ("end_date", pa.date32())])
    table = pa.table(
        {
            "person": ["00000000097"] * rows,
            "period": pa.array(months, pa.date32()),
            "pcsa_cbe_number": ["0200000196"] * rows,
            "allowance_type": ["LIVING_WAGE"] * rows,
            "household_category": pa.array([2] * rows, pa.int32()),
            "other": pa.array([None] * rows, pa.string()),
            "grant_periods": pa.array(
                [[{"begin_date": month, "end_date": month.replace(day=28)}] for month in months], pa.list_(grants)
            ),
            "amount_cents": pa.array([131420] * rows, pa.int64()),
            "covers_whole_period": [True] * rows,
            "finality_status": ["FINAL" if i < rows - 6 else "PROVISIONAL" for i in range(rows)],
            "is_last": [i == rows - 1 for i in range(rows)],
        }
    )
    return AmountsIndex.from_table(table)


class FixedAnswers:
    """The floor's answers, one per size, rendered once by the real channel and sent as they are."""

    def __init__(self, channel: WithAmountChannel) -> None:
        self.channel = channel
        self._rendered: dict[int, bytes] = {}
        self._indexes: list[AmountsIndex] = []  # alive as long as the answers: the renderer's cache is by index

    def get(self, request: SoapRequest, rows: int) -> bytes:
        fixed = self._rendered.get(rows)
        if fixed is None:
            status = consult.status(codes.DATA_FOUND if rows else codes.NO_DATA_FOUND)
            answer = consult.Answer(status, reference_date=dt.date(2026, 11, 7))
            if rows:
                index = _floor_index(rows)
                self._indexes.append(index)
                answer.amounts = consult.AmountRows(index, [(0, rows)], yearly=False, partner_role=False)
                answer.last_month_is_last_indemnified = True
            reply = self.channel.render(request, answer, str(uuid.uuid4()), dt.datetime.now(dt.UTC))
            fixed = self._rendered[rows] = reply.content
        return fixed


class _FixedAnswerChannel(WithAmountChannel):
    """The data path's channel, sending the floor's fixed answer instead of rendering the rows found."""

    def __init__(self, fixed: FixedAnswers, rows: int) -> None:
        super().__init__(fixed.channel.spec)
        self.fixed, self.rows = fixed, rows

    def render(self, parsed, answer, ticket_cbss, received) -> Reply:
        return Reply(200, self.fixed.get(parsed, self.rows), XML)


class _Unsynced:
    """The audit log, its records written but never waited for."""

    def __init__(self, audit) -> None:
        self.audit = audit

    def append(self, record: dict) -> None:
        self.audit.append(record)


class _NoAudit:
    def append(self, record: dict) -> None:
        return None


def create_bench_app(
    settings: Settings,
    *,
    service: ConsultationService | None = None,
    floor_rows: int = 0,
    ladder: str = "full",
) -> FastAPI:
    """The production application over ``settings``, with the floor endpoint and one step of the ladder."""
    if ladder not in LADDER:
        raise ValueError(f"ladder {ladder!r}: expected one of {', '.join(LADDER)}")
    service = service or ConsultationService(settings)
    channel = SOAP_CHANNELS[LIVING_WAGES_WITH_AMOUNT.name]
    assert isinstance(channel, WithAmountChannel)
    fixed = FixedAnswers(channel)
    soap_channels = dict(SOAP_CHANNELS)
    if ladder == "no-fsync":
        service.context = dataclasses.replace(service.context, audit=_Unsynced(service.audit))
    elif ladder in ("no-audit", "fixed-answer"):
        service.context = dataclasses.replace(service.context, audit=_NoAudit())
    if ladder == "fixed-answer":
        soap_channels[LIVING_WAGES_WITH_AMOUNT.name] = _FixedAnswerChannel(fixed, floor_rows)
    app = create_app(settings, service=service, soap_channels=soap_channels)

    @app.post(FLOOR_PATH, include_in_schema=False)
    async def floor(request: Request) -> Response:  # run inline, as the data path's cached requests are
        body = await read_body(request, service.max_body)
        if body is None:
            return Response(b"too large\n", status_code=413, media_type="text/plain")
        try:
            parsed = channel.parse(Incoming(body))
        except Invalid as error:
            return Response(str(error).encode(), status_code=500, media_type="text/plain")
        return Response(fixed.get(parsed, floor_rows), media_type=XML)

    return app


def app_from_environment() -> FastAPI:
    """What each worker process builds: ``LWW_HOME``, ``LWW_BENCH_FLOOR_ROWS`` and ``LWW_BENCH_LADDER``."""
    from kernel.settings import settings

    rows = env_number("LWW_BENCH_FLOOR_ROWS", 0, minimum=0)
    return create_bench_app(settings().ensure(), floor_rows=rows, ladder=os.environ.get("LWW_BENCH_LADDER", "full"))


def main() -> int:
    import uvicorn

    from lww.commands.serve import KEEP_ALIVE_SECONDS, PROTOCOL
    from service import workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--floor-rows", type=int, default=0)
    parser.add_argument("--ladder", default="full", choices=LADDER)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    os.environ.update(
        LWW_HOME=str(args.home.resolve()), LWW_BENCH_FLOOR_ROWS=str(args.floor_rows), LWW_BENCH_LADDER=args.ladder
    )
    # as lww serve: its connection limits (service.connections, default values) and no forwarding headers trusted
    options = dict(
        log_level=args.log_level,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        http=PROTOCOL,
        proxy_headers=False,
    )
    if args.workers == 1:  # as lww serve: the application in this process
        uvicorn.run(app_from_environment(), host="127.0.0.1", port=args.port, **options)
        return 0
    with tempfile.TemporaryDirectory(prefix="lww-bench-metrics-") as metrics:  # the workers' counters, summed
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
        workers.serve(args.workers, "127.0.0.1", args.port, options, app=APP)
    return 0


if __name__ == "__main__":
    sys.exit(main())

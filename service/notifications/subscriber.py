"""The reference subscriber (``lww subscriber``): the side of CONTRACT §6 an institution implements.

A minimal ASGI application (served by uvicorn): it accepts ``livingWagesNotification`` POSTs on any path (the
simulated subscriptions point each institution at ``/notifications/<username>``), keeps each one it receives as
one JSON line in its receipts file (before answering), and answers as told:

- ``OK``: status OK, the ticket echoed (the notifier then counts it delivered);
- ``NOK``: status NOK (the notifier retries);
- ``SLOW``: waits ``slow_seconds`` (past the notifier's read timeout) before answering OK;
- ``DOWN``: handled by :func:`serve`: nothing listens, connections are refused.

A notification sent again (same ``ticketCBSS``) is kept again: :func:`received` groups the receipts by ticket, as
a subscriber deduplicates. The WSDL it implements is served by the consultation service (the parts meet in the
contract, not in each other's code).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from service.notifications import message

ANSWERS = ("OK", "NOK", "SLOW", "DOWN")
MAX_BODY = 1 << 20


class Subscriber:
    def __init__(self, receipts: Path, answer: str = "OK", slow_seconds: float = 120.0) -> None:
        if answer not in ANSWERS:
            raise ValueError(f"answer {answer!r}: one of {', '.join(ANSWERS)}")
        self.answer = answer
        self.slow_seconds = slow_seconds
        receipts.parent.mkdir(parents=True, exist_ok=True)
        self.receipts = receipts
        self._file = receipts.open("a", encoding="utf-8")

    def close(self) -> None:
        self._file.close()

    def _keep(self, received: message.Received, path: str, answer: str) -> None:
        record = {**received.as_dict(), "path": path, "receivedAt": message.timestamp(), "answer": answer}
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()  # in the OS before the answer leaves: the notifier may be killed, not this process

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["method"] == "GET":
            await self._get(scope, send)
            return
        if scope["method"] != "POST":
            await _reply(send, 405, b"POST a livingWagesNotification here\n", "text/plain")
            return
        body = bytearray()
        while True:
            event = await receive()
            body += event.get("body", b"")
            if len(body) > MAX_BODY:
                await _reply(send, 413, message.fault("soapenv:Client", "request too large"))
                return
            if not event.get("more_body"):
                break
        try:
            received = message.parse_notification(bytes(body))
        except message.BadAnswer as error:
            await _reply(send, 500, message.fault("soapenv:Client", str(error)))
            return
        answer = "NOK" if self.answer == "NOK" else "OK"
        self._keep(received, scope["path"], answer)
        if self.answer == "SLOW":
            await asyncio.sleep(self.slow_seconds)
        if answer == "OK":
            payload = message.response(received.ticket, received.timestamp_sent, "OK", "MSG00000", "received")
        else:
            payload = message.response(
                received.ticket, received.timestamp_sent, "NOK", "MSG00001", "the reference subscriber says NOK"
            )
        await _reply(send, 200, payload)

    async def _get(self, scope: dict, send) -> None:
        text = (
            b"reference subscriber: POST livingWagesNotification requests here; the WSDL it implements is the "
            b"consultation service's /soap/LivingWagesNotificationService/v1?wsdl\n"
        )
        await _reply(send, 200, text, "text/plain")


async def _reply(send, status: int, body: bytes, content_type: str = message.CONTENT_TYPE) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve(receipts: Path, *, host: str, port: int, answer: str, slow_seconds: float) -> None:
    """Run the subscriber until interrupted (DOWN: listen on nothing, so connections are refused)."""
    if answer == "DOWN":
        print(f"reference subscriber DOWN: nothing listens on {host}:{port}, connections are refused", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return
    import uvicorn

    app = Subscriber(receipts, answer, slow_seconds)
    print(f"reference subscriber on http://{host}:{port}/ answering {answer}; receipts in {receipts}", flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    finally:
        app.close()


def received(receipts: Path) -> dict[str, list[dict[str, Any]]]:
    """The receipts of a subscriber, by ticketCBSS (a ticket received twice has two receipts)."""
    by_ticket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if receipts.exists():
        with receipts.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    by_ticket[record["ticketCBSS"]].append(record)
    return dict(by_ticket)

"""The ASGI application: SOAP endpoints, their WSDL/XSDs, the JSON mirror, health and metrics.

A consultation is CPU work (parse, validate, look up, render: under a millisecond) and then a wait for its
audit record's group commit. The event loop runs the CPU work itself when it cannot block (snapshot open,
credentials in the verification cache), then the answer waits for the audit log's syncer process, whose next
flush covers every answer written meanwhile (``service.audit``); a request that may hash a password or open a
snapshot is computed in a worker thread instead. Measured: the thread hop, and the GIL handed back and forth between
threads doing Python, cost more CPU than the answer itself (``bench/README.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import logging
import os
from collections.abc import Mapping

import anyio
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.requests import ClientDisconnect

from kernel.settings import Settings, env_number
from service import home_page, schemas, snapshot_store
from service.channels import SOAP_CHANNELS, JsonChannel, SoapChannel, json_mirror
from service.handlers import ConsultationService
from service.index import load_memory_limit
from service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from service.pipeline import Channel, Incoming, Reply

log = logging.getLogger(__name__)


def _workers() -> int:
    """Worker threads for the requests that may block (``LWW_SERVICE_WORKERS``, default 6).

    Few on purpose: the work is mostly Python under the GIL, and with many clients the default pool's runnable
    threads convoy on the GIL until latencies reach seconds (``bench/README.md``); extra requests wait in the
    event loop.
    """
    return env_number("LWW_SERVICE_WORKERS", 6, minimum=1)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``limit`` (never buffered beyond it)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def check_environment() -> None:
    """Read the service's settings from the environment once: ``lww serve`` calls it before it starts its
    worker processes, so a bad value stops it with the reason instead of failing every worker at its start."""
    _workers()
    load_memory_limit()


def app_from_environment() -> FastAPI:
    """The application over ``$LWW_HOME``: what each worker process of ``lww serve --workers N`` builds.

    uvicorn starts its worker processes afresh (spawn) and imports the app by name, so the settings travel in
    the environment.
    """
    from kernel.settings import settings

    return create_app(settings().ensure())


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _public_base(request: Request) -> str:
    """The service's address in its WSDLs: ``LWW_SERVICE_PUBLIC_URL`` (``lww serve --public-url``, else the bound
    address), else the local address the connection reached (a server bound to every address)."""
    configured = os.environ.get("LWW_SERVICE_PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    host, port = request.scope.get("server") or ("127.0.0.1", None)
    host = f"[{host}]" if ":" in host else host
    return f"{request.scope.get('scheme', 'http')}://{host}{f':{port}' if port else ''}"


def _response(reply: Reply) -> Response:
    return Response(reply.content, status_code=reply.http_status, media_type=reply.media_type, headers=reply.headers)


def create_app(
    settings: Settings,
    *,
    service: ConsultationService | None = None,
    soap_channels: Mapping[str, SoapChannel] | None = None,
) -> FastAPI:
    """The application over ``settings.published``: each SOAP service on its channel (by service name, default
    ``service.channels.SOAP_CHANNELS``), and its JSON mirror."""
    service = service or ConsultationService(settings)
    soap_channels = soap_channels or SOAP_CHANNELS

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        # open the current snapshot before taking connections: a worker process (re)started under load would
        # otherwise hold its first requests for the whole load
        try:
            await anyio.to_thread.run_sync(service.store.get)
        except Exception:  # logged; the first request tries again and answers MSG00003/MSG00001 meanwhile
            log.exception("cannot open the current snapshot at startup")
        # what is loaded now lives as long as the process: keep it out of the collector's full passes, which
        # otherwise walk it while requests wait
        gc.collect()
        gc.freeze()
        service.audit.start_syncer()  # the loop's answers are made durable by another process, meanwhile
        watcher = asyncio.create_task(snapshot_store.watch(service.store, service.metrics.note_snapshot))
        try:
            yield
        finally:
            watcher.cancel()
            service.audit.stop_syncer()

    app = FastAPI(
        lifespan=lifespan,
        title="Living wages consultation (JSON mirror)",
        version="1.0",
        description="The JSON mirror of the LivingWages V2 and V3 and LivingWagesWithAmount V1 SOAP services: same "
        "authentication (HTTP Basic), checks, answers and audit.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.service = service
    limiter = anyio.CapacityLimiter(_workers())

    async def in_worker(function, *args):
        return await anyio.to_thread.run_sync(functools.partial(function, *args), limiter=limiter)

    app.state.in_worker = in_worker

    for spec in schemas.SERVICES.values():
        _add_soap_routes(app, service, spec, soap_channels[spec.key])
        for operation in spec.operations:
            _add_json_route(app, service, spec, operation)

    @app.get(schemas.NOTIFICATION.path, include_in_schema=False)
    def notification_wsdl() -> Response:
        """The WSDL a subscriber implements (CONTRACT §6): its address is the subscriber's own endpoint_url.
        Before the schema files' route, which would take ``v1`` for a file name."""
        return Response(schemas.notification_wsdl(), media_type="text/xml; charset=utf-8")

    @app.get(r"/soap/{service_name}/{file_name}", include_in_schema=False)
    def schema_file(service_name: str, file_name: str) -> Response:
        known = {f"{spec.name}Service" for spec in (*schemas.SERVICES.values(), schemas.NOTIFICATION)}
        if service_name not in known or file_name not in schemas.SERVED_FILES:
            return Response(b"not found\n", status_code=404, media_type="text/plain")
        return Response(schemas.file_bytes(file_name), media_type="text/xml; charset=utf-8")

    @app.get("/batch/v1/{file_name}", include_in_schema=False)
    def batch_schema(file_name: str) -> Response:
        """The batch file's schema (CONTRACT §5), and beside it the services' schemas it imports."""
        file_name = "ConsultationBatchV1.xsd" if file_name == "consultationBatch.xsd" else file_name
        if file_name not in schemas.SERVED_FILES:
            return Response(b"not found\n", status_code=404, media_type="text/plain")
        return Response(schemas.file_bytes(file_name), media_type="text/xml; charset=utf-8")

    @app.get("/", include_in_schema=False)
    def home() -> HTMLResponse:
        """A small page naming the endpoints, the WSDLs, the OpenAPI document and its interactive docs."""
        return HTMLResponse(home_page.page())

    @app.get("/health", include_in_schema=False)
    def health() -> JSONResponse:
        loaded = service.store.get()
        if loaded is None:
            return JSONResponse({"status": "unavailable", "reason": "no published snapshot"}, status_code=503)
        return JSONResponse(
            {
                "status": "ok",
                "snapshot": loaded.refresh_id,
                "referenceDate": loaded.reference_date.isoformat(),  # R: rights as of
                "amountsDate": loaded.amounts_date.isoformat(),  # A(R): what the amounts are as of
            }
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        service.store.get()  # the snapshot gauges describe what the next request would use
        return Response(service.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    app.openapi = lambda: _openapi(app)
    return app


async def _answer(request: Request, service: ConsultationService, channel: Channel) -> Response:
    """Answer on ``channel`` inline when it cannot block, else in a worker thread; then wait for its audit
    record's flush with the other answers of this turn of the loop."""
    headers = request.headers
    authorization = headers.get("authorization")
    try:
        body = await read_body(request, service.max_body)
    except ClientDisconnect:  # gone mid-body (or closed for its body timeout): nobody to answer
        service.client_gone(channel.name, _client_ip(request))
        return Response(status_code=400)
    incoming = Incoming(
        body, authorization, _client_ip(request), headers.get("soapaction"), headers.get("content-type", "")
    )
    if service.answers_inline(authorization):
        pending = service.answer(channel, incoming)
    else:
        pending = await request.app.state.in_worker(service.answer, channel, incoming)
    return _response(await service.settle_async(pending))


def _add_soap_routes(app: FastAPI, service: ConsultationService, spec: schemas.ServiceSpec, channel: Channel) -> None:
    async def post(request: Request) -> Response:
        return await _answer(request, service, channel)

    async def get(request: Request) -> Response:
        if "wsdl" in request.query_params or "WSDL" in request.query_params:
            location = _public_base(request) + spec.path  # never from the request's Host header
            return Response(schemas.wsdl_bytes(spec, location), media_type="text/xml; charset=utf-8")
        return Response(
            f"{spec.name}Service {spec.version}: POST SOAP 1.1 requests here; WSDL at ?wsdl\n", media_type="text/plain"
        )

    app.add_api_route(spec.path, post, methods=["POST"], include_in_schema=False)
    app.add_api_route(spec.path, get, methods=["GET"], include_in_schema=False)


def _add_json_route(app: FastAPI, service: ConsultationService, spec: schemas.ServiceSpec, operation: str) -> None:
    request_model = json_mirror.REQUEST_MODELS[spec.key]
    channel = JsonChannel(spec.key, operation)

    async def post(request: Request) -> Response:
        return await _answer(request, service, channel)

    post.__name__ = operation
    app.add_api_route(
        f"/api/v1/{spec.key}/{operation}",
        post,
        methods=["POST"],
        summary=f"{spec.key} {operation}",
        description=f"The JSON mirror of the SOAP operation `{operation}` of {spec.name}Service "
        f"{spec.version}. HTTP Basic authentication.",
        tags=[spec.key],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{request_model.__name__}"}}},
            },
            "security": [{"basic": []}],
        },
        responses={
            200: {"model": json_mirror.response_model(spec.key, operation), "description": "an answer (see status)"},
            400: {"model": json_mirror.FaultResponse, "description": "malformed or invalid request"},
            401: {"description": "missing or wrong credentials"},
            413: {"description": "body too large"},
            429: {"description": "too many failed logins"},
            500: {"model": json_mirror.FaultResponse, "description": "internal error (MSG00003)"},
            503: {"model": json_mirror.FaultResponse, "description": "no published data yet (MSG00001)"},
        },
    )


def _openapi(app: FastAPI) -> dict:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = document.setdefault("components", {})
    found = components.setdefault("schemas", {})
    for model in json_mirror.REQUEST_MODELS.values():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            found.setdefault(name, definition)
        found[model.__name__] = schema
    components.setdefault("securitySchemes", {})["basic"] = {"type": "http", "scheme": "basic"}
    app.openapi_schema = json.loads(json.dumps(document))
    return app.openapi_schema

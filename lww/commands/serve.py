"""``lww serve``: the consultation service (CONTRACT section 4) over the current published snapshot."""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import signal
import urllib.parse
from pathlib import Path

from kernel.errors import LwwError
from kernel.settings import env_number
from service import limits as connection_limits


def default_workers() -> int:
    """Worker processes: ``LWW_SERVICE_PROCESSES``, else one per core (at most 8).

    The request path is Python under the GIL, so one process uses one core; the indexes are memory-mapped
    files shared through the page cache, so extra processes cost their Python heap (tens of MB), not a copy
    of the data.
    """
    return env_number("LWW_SERVICE_PROCESSES", max(1, min(8, os.cpu_count() or 1)), minimum=1)


PROTOCOL = "service.connections:GuardedHttpProtocol"  # uvicorn's ``http`` option: the limits of service.limits

# How long an idle kept-alive connection stays open. Longer than the clients' own idle expiry (5 s for httpx and
# Java's HttpClient; requests, under zeep, keeps connections without limit) and than a load balancer's (60 s is
# common): when the server closes first, a client sending on the connection at that moment gets no answer
# ("server disconnected"). uvicorn's default, 5 s, equals httpx's expiry: the two race on every idle connection.
KEEP_ALIVE_SECONDS = 75


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="the consultation service (SOAP + JSON) over the published data")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--certfile", help="TLS certificate (PEM); with --keyfile, serves HTTPS")
    parser.add_argument("--keyfile", help="TLS private key (PEM)")
    parser.add_argument(
        "--workers",
        type=int,
        help="worker processes sharing the port (default: $LWW_SERVICE_PROCESSES, else one per core, at most 8)",
    )
    parser.add_argument(
        "--keep-alive",
        type=int,
        default=KEEP_ALIVE_SECONDS,
        help=f"seconds an idle connection is kept open (default {KEEP_ALIVE_SECONDS})",
    )
    parser.add_argument(
        "--public-url",
        help="the address clients reach the service at, written in the WSDLs (e.g. https://lww.example.be); "
        "default: the bound address (--host and --port), never the request's Host header",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default="",
        help="comma-separated addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are trusted "
        "(default: none, the connection's own address is the client's)",
    )
    parser.add_argument(
        "--max-header-bytes",
        type=int,
        default=connection_limits.DEFAULT_MAX_HEADER_BYTES,
        help="largest request head (line + headers) in bytes, beyond it 431 "
        f"(default {connection_limits.DEFAULT_MAX_HEADER_BYTES})",
    )
    parser.add_argument(
        "--head-timeout",
        type=float,
        default=connection_limits.DEFAULT_HEAD_TIMEOUT_S,
        help=f"seconds a connection has to send a whole request head, else 408 and closed "
        f"(default {connection_limits.DEFAULT_HEAD_TIMEOUT_S})",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=connection_limits.DEFAULT_BODY_TIMEOUT_S,
        help=f"seconds a request has to send its whole body after its head, else closed "
        f"(default {connection_limits.DEFAULT_BODY_TIMEOUT_S})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        help=f"open connections per worker process (default {connection_limits.DEFAULT_MAX_CONNECTIONS}, less if the "
        "open-file limit is lower); beyond it the longest-waiting connection without a request in progress is "
        "closed, or the request gets 503 with Retry-After",
    )
    parser.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    parser.set_defaults(handler=run_until_stopped)


def open_file_limit() -> int:
    """The open-file limit of this process and its workers, raised to the hard limit first."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


# Descriptors a worker holds besides its connections: snapshot and index files, audit log, its syncer, logs.
_OTHER_FILES = 256


def public_url(value: str | None, scheme: str, host: str, port: int) -> str | None:
    """The base URL the WSDLs name: ``--public-url`` checked, else the bound address; None when bound to every
    address (then each connection's own local address, ``service.app``)."""
    if value is None:
        if host in ("0.0.0.0", "::", ""):
            return None
        return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment:
        raise LwwError(f"--public-url {value}: expected http(s)://host[:port][/path], without query or fragment")
    return value.rstrip("/")


def run(args: argparse.Namespace) -> int:
    if bool(args.certfile) != bool(args.keyfile):
        raise LwwError("--certfile and --keyfile go together: give both for TLS, or neither")
    for option in ("certfile", "keyfile"):
        value = getattr(args, option)
        if value and not Path(value).is_file():
            raise LwwError(f"--{option} {value}: no such file")
    if not 0 < args.port < 65536:
        raise LwwError(f"--port {args.port}: expected 1-65535")
    if args.keep_alive < 1:
        raise LwwError(f"--keep-alive {args.keep_alive}: expected 1 second or more")
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise LwwError(f"--workers {workers}: expected 1 or more")
    for option, value, minimum in (
        ("max-header-bytes", args.max_header_bytes, 1024),
        ("head-timeout", args.head_timeout, 0.1),
        ("body-timeout", args.body_timeout, 0.1),
        ("max-connections", args.max_connections, 1),
    ):
        if value is not None and value < minimum:
            raise LwwError(f"--{option} {value}: expected {minimum} or more")
    scheme = "https" if args.certfile else "http"
    base_url = public_url(args.public_url, scheme, args.host, args.port)
    files = open_file_limit() - _OTHER_FILES
    if args.max_connections is not None and args.max_connections > files:
        raise LwwError(
            f"--max-connections {args.max_connections}: the open-file limit allows {max(files, 0)} "
            "(raise `ulimit -n`, or give fewer)"
        )
    limits = connection_limits.Limits(
        max_header_bytes=args.max_header_bytes,
        head_timeout_s=args.head_timeout,
        body_timeout_s=args.body_timeout,
        max_connections=args.max_connections or max(1, min(connection_limits.DEFAULT_MAX_CONNECTIONS, files)),
    )
    # read by every worker's connections (service.connections) and application (service.app), once serving
    serving_environment = {**limits.environment(), "LWW_SERVICE_PUBLIC_URL": base_url or ""}

    from lww.ports import check_free
    from service.app import check_environment

    check_environment()
    check_free(args.host, args.port)
    settings = args.settings.ensure()
    print(
        f"lww serve: {scheme}://{args.host}:{args.port}/soap/LivingWagesService/v2?wsdl, "
        f"/soap/LivingWagesWithAmountService/v1?wsdl, /api/v1/openapi.json (LWW_HOME={settings.home}, "
        f"{workers} worker process{'es' if workers > 1 else ''}, index files in {settings.service_cache / 'indexes'})",
        flush=True,
    )
    options = dict(
        host=args.host,
        port=args.port,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        log_level=args.log_level,
        access_log=False,
        timeout_keep_alive=args.keep_alive,
        http=PROTOCOL,
        proxy_headers=bool(args.forwarded_allow_ips.strip()),
        forwarded_allow_ips=args.forwarded_allow_ips.strip() or None,
    )
    with _environment(serving_environment):
        connection_limits.limits.cache_clear()
        return _serve(settings, workers, options)


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """``values`` in the environment for the block, then what was there before (``lww serve`` run in process)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        connection_limits.limits.cache_clear()


def _serve(settings, workers: int, options: dict) -> int:
    import uvicorn

    if workers == 1:
        from service.app import app_from_environment

        os.environ["LWW_HOME"] = str(settings.home)
        uvicorn.run(app_from_environment(), **options)
        return 0
    # N spawned worker processes, each building the app from the environment; this process accepts and hands the
    # connections to them in turn, and restarts one that dies (service.workers). Metrics are summed across
    # workers through prometheus_client's multiprocess folder, emptied here so that counts start from zero.
    metrics_dir = settings.service_cache / f"metrics-{os.getpid()}"
    for stale in settings.service_cache.glob("metrics-*"):  # left by a server that was killed
        pid = stale.name.removeprefix("metrics-")
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
            shutil.rmtree(stale, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["LWW_HOME"] = str(settings.home)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    try:
        from service import workers as worker_processes

        host, port = options.pop("host"), options.pop("port")
        worker_processes.serve(workers, host, port, options)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


def _stop(signum: int, _frame) -> None:
    raise _Stopped(signum)


def run_until_stopped(args: argparse.Namespace) -> int:
    """:func:`run`, then one line saying the service stopped (SIGTERM from a supervisor, or Ctrl-C): after its
    graceful shutdown uvicorn raises the signal again, which lands here instead of killing the process silently."""
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = run(args)
        print("lww serve: stopped; the requests in progress were answered", flush=True)
        return code
    except _Stopped as stopped:
        print(f"lww serve: stopped by {stopped}; the requests in progress were answered", flush=True)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

"""``lww serve``: the consultation service (CONTRACT section 4) over the current published snapshot."""

from __future__ import annotations

import argparse
from pathlib import Path

from kernel.errors import LwwError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="the consultation service (SOAP + JSON) over the published data")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--certfile", help="TLS certificate (PEM); with --keyfile, serves HTTPS")
    parser.add_argument("--keyfile", help="TLS private key (PEM)")
    parser.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if bool(args.certfile) != bool(args.keyfile):
        raise LwwError("--certfile and --keyfile go together: give both for TLS, or neither")
    for option in ("certfile", "keyfile"):
        value = getattr(args, option)
        if value and not Path(value).is_file():
            raise LwwError(f"--{option} {value}: no such file")
    if not 0 < args.port < 65536:
        raise LwwError(f"--port {args.port}: expected 1-65535")

    import uvicorn

    from service.app import create_app

    settings = args.settings.ensure()
    app = create_app(settings)
    scheme = "https" if args.certfile else "http"
    print(
        f"lww serve: {scheme}://{args.host}:{args.port}/soap/LivingWagesService/v2?wsdl, "
        f"/soap/LivingWagesWithAmountService/v1?wsdl, /api/v1/openapi.json (LWW_HOME={settings.home})"
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        log_level=args.log_level,
        access_log=False,
    )
    return 0

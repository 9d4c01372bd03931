"""``GET /``: a small page naming what the service answers, for a person who opens its address in a browser.

Built from the same specs as the routes (``service.schemas``), so a new service or operation shows here without
an edit. No data and no credentials on it: only addresses.
"""

from __future__ import annotations

from html import escape

from service import schemas

BATCH_XSD = "/batch/v1/consultationBatch.xsd"
OPENAPI = "/api/v1/openapi.json"
DOCS = "/api/v1/docs"


def _link(path: str, text: str | None = None) -> str:
    return f'<a href="{escape(path)}"><code>{escape(text or path)}</code></a>'


def page() -> str:
    soap = "".join(
        f"<li>{escape(spec.name)}Service {escape(spec.version)} (SOAP 1.1): POST to {_link(spec.path)}, "
        f"WSDL {_link(spec.path + '?wsdl')}; operations {', '.join(escape(op) for op in spec.operations)}</li>"
        for spec in schemas.SERVICES.values()
    )
    mirror = "".join(
        f"<li>{escape(spec.name)} {escape(spec.version)}: POST <code>/api/v1/{escape(spec.key)}/&lt;operation&gt;"
        "</code></li>"
        for spec in schemas.SERVICES.values()
    )
    notification = schemas.NOTIFICATION
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Living wages consultation service</title></head>
<body>
<h1>Living wages consultation service</h1>
<p>HTTP Basic authentication with the institution's credentials on every consultation.</p>
<h2>SOAP endpoints</h2>
<ul>{soap}</ul>
<h2>JSON mirror</h2>
<ul>{mirror}</ul>
<p>OpenAPI document {_link(OPENAPI)}, interactive documentation {_link(DOCS)}.</p>
<h2>For subscribers and batch files</h2>
<ul>
<li>Notifications a subscriber implements ({escape(notification.name)}Service {escape(notification.version)}):
WSDL {_link(notification.path)}</li>
<li>Batch consultation file (XSD): {_link(BATCH_XSD)}</li>
</ul>
<h2>Operations</h2>
<ul><li>{_link("/health")} (no credentials)</li><li>{_link("/metrics")} (Prometheus)</li></ul>
</body></html>
"""

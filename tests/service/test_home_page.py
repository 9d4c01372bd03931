"""``GET /`` answers a small HTML page naming the endpoints, the WSDLs, the OpenAPI document and its docs; every
address on it answers."""

from __future__ import annotations

import re

import httpx

from service import schemas


def test_the_home_page_names_every_endpoint_and_each_of_its_links_answers(running):
    response = httpx.get(running.url + "/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    links = set(re.findall(r'href="([^"]+)"', response.text))
    expected = {
        *(spec.path + "?wsdl" for spec in schemas.SERVICES.values()),
        *(spec.path for spec in schemas.SERVICES.values()),
        schemas.NOTIFICATION.path,
        "/batch/v1/consultationBatch.xsd",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/health",
        "/metrics",
    }
    assert links == expected
    assert {"/soap/LivingWagesService/v2", "/soap/LivingWagesService/v3"} <= links
    assert "/soap/LivingWagesWithAmountService/v1?wsdl" in links
    for spec in schemas.SERVICES.values():
        assert f"/api/v1/{spec.key}/&lt;operation&gt;" in response.text
    for link in sorted(links):
        answer = httpx.get(running.url + link)
        assert answer.status_code == 200, (link, answer.status_code)
        if link.endswith(("?wsdl", ".xsd")) or link == schemas.NOTIFICATION.path:  # the schema files themselves
            assert answer.headers["content-type"].startswith("text/xml"), link
            assert b"http://schemas.xmlsoap.org/wsdl/" in answer.content or link.endswith(".xsd"), link

"""A failed refresh posted to the operators' webhook (chat, paging), when one is configured.

``LWW_FAILURE_WEBHOOK_URL`` (http or https) receives one small JSON body per failed run::

    {"run": "<run id>", "job": "refresh", "step": "dbt", "cause": "<one line>"}

The post has a timeout, follows no redirect (a 3xx is an answer, not an address to send the body to again) and
never raises: the failure sensor that calls it must keep recording failures whatever the webhook does. What
happened is returned in one line, for the sensor's log.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import dagster as dg

from dagster_project.failures import cause_from_event, one_line, step_of

WEBHOOK_ENV = "LWW_FAILURE_WEBHOOK_URL"
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class FailedRun:
    run: str
    job: str
    step: str  # ingest, dbt, checks, publish; "run" when no step failed (the run itself did)
    cause: str  # one line

    def body(self) -> bytes:
        return json.dumps(asdict(self)).encode("utf-8")


def failed_run(run: dg.DagsterRun, step_failures: Sequence[dg.DagsterEvent], run_failure: dg.DagsterEvent) -> FailedRun:
    """The first failed step and its cause (its ``Failure`` description, else its innermost error); the run's own
    failure message when no step failed."""
    for event in step_failures:
        data = event.step_failure_data
        description = data.user_failure_data.description if data and data.user_failure_data else None
        cause = cause_from_event(data.error if data else None, description)
        return FailedRun(run.run_id, run.job_name, step_of(event.step_key or ""), cause)
    return FailedRun(run.run_id, run.job_name, "run", one_line(run_failure.message or "failed"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(url: str, failed: FailedRun, timeout_s: float = TIMEOUT_S) -> str:
    """POST ``failed`` to ``url``; what happened, in one line. Never raises."""
    if not url.startswith(("http://", "https://")):
        return f"{WEBHOOK_ENV}={url!r} is not an http(s) URL: nothing posted"
    request = urllib.request.Request(
        url, data=failed.body(), method="POST", headers={"Content-Type": "application/json", "User-Agent": "lww"}
    )
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return f"failure posted to the webhook: HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"the webhook answered HTTP {error.code} ({one_line(error.reason or '', 200)}): not posted again"
    except Exception as error:  # a timeout, a refused connection, TLS: never the sensor's failure
        reason = getattr(error, "reason", None) or error
        return f"the webhook could not be reached ({one_line(str(reason), 200) or type(error).__name__})"


def notify(failed: FailedRun, environ: Mapping[str, str] = os.environ) -> str | None:
    """Post to the configured webhook; None when none is configured."""
    url = environ.get(WEBHOOK_ENV, "").strip()
    return post(url, failed) if url else None

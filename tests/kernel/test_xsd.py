"""XSD compilation and validation in a process with threads (``kernel.xsd``, ``service.schemas.validator``)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from lxml import etree

from kernel.settings import settings as make_settings
from service import schemas
from service.handlers import ConsultationService
from tests.service.conftest import X
from tests.service.test_soap_refusals import envelope

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter (libxml2 sets up its built-in types at the first compilation of the process), 8 threads
# compile their first schema at the same moment, then the process compiles once more.
FIRST_COMPILATIONS_TOGETHER = """
import json, threading
from lxml import etree
from kernel.xsd import compile_schema
from service.schemas import SCHEMA_DIR
path = str(SCHEMA_DIR / "LivingWagesWithAmountServiceV1.xsd")
barrier, errors = threading.Barrier(8), []
def compile_one():
    document = etree.parse(path)
    barrier.wait()
    try:
        compile_schema(document)
    except Exception as error:
        errors.append(repr(error))
threads = [threading.Thread(target=compile_one) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
try:
    compile_schema(etree.parse(path))
except Exception as error:
    errors.append("afterwards: " + repr(error))
print(json.dumps(errors))
"""


def test_first_compilations_in_threads_at_once_all_succeed_and_leave_libxml2_usable():
    # unguarded, about 1 interpreter in 6 had every thread fail, and most of those could never compile again
    for _ in range(10):
        done = subprocess.run(
            [sys.executable, "-c", FIRST_COMPILATIONS_TOGETHER], cwd=ROOT, capture_output=True, text=True, check=True
        )
        assert json.loads(done.stdout) == [], done.stdout


def test_the_service_compiles_its_schemas_before_its_first_request(tmp_path):
    compiled = {}

    def build_a_service():  # in a thread of its own: validators are per thread
        ConsultationService(make_settings(tmp_path / "home"))
        compiled.update(getattr(schemas._per_thread, "validators", {}))

    thread = threading.Thread(target=build_a_service)
    thread.start()
    thread.join()
    assert set(compiled) == set(schemas.SERVICES)


def test_requests_validated_in_several_threads_at_once_get_their_own_verdict_and_error():
    spec = schemas.LIVING_WAGES_WITH_AMOUNT
    body = envelope(spec, ssin=X)
    wrong: list[str] = []

    def validate(valid: bool) -> None:
        for _ in range(1500):  # each request its own document, as in the service
            payload = etree.fromstring(body)[0][0]
            if not valid:
                etree.SubElement(payload, "unexpected")
            schema = schemas.validator(spec)
            verdict = schema.validate(payload)
            if verdict != valid or (not valid and schema.error_log.last_error is None):
                wrong.append(f"valid={valid}: verdict {verdict}, error {schema.error_log.last_error}")

    threads = [threading.Thread(target=validate, args=(valid,)) for valid in (False, True, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []

"""XSD compilation in a process with threads (``kernel.xsd``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kernel.settings import settings as make_settings
from service.handlers import ConsultationService
from service.schemas import validator

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
    validator.cache_clear()
    ConsultationService(make_settings(tmp_path / "home"))
    assert validator.cache_info().currsize == 2  # both endpoints', in the thread that built the service

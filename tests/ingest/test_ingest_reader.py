"""The reader: one ``read`` in front of both parsers, the rooms of the ingest gone down once, the SSIN cache owned.

- any file, good or breaking a business rule, read by :meth:`ingest.reader.Reader.read` with the rules: batches
  from the fast path, or a verdict whose violations name the XML lines (the detailed parser's reading of record),
  and no spool left behind;
- the SSIN cache belongs to its reader: it answers as python-stdnum does whatever its bound, and no module keeps
  one;
- the modules of ``ingest/`` import each other downwards only, and only the reader reaches the parsers.
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingest
import ingest.rules
from ingest import load_reference
from ingest.inbox import describe
from ingest.reader import Reader
from ingest.rules import SsinScan, ValidSsins, judge
from kernel.identifiers import ssin_error
from kernel.raw_tables import create_all
from kernel.settings import settings as make_settings
from tests.ingest.ingest_builders import drop, payment, payments_xml, ssin, write_pcsa

INGEST = Path(ingest.__file__).resolve().parent


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A real DuckDB with the raw tables and the reference CPAS, as the rules see it."""
    home = make_settings(tmp_path_factory.mktemp("reader") / "home").ensure()
    write_pcsa(home.reference)
    connection = duckdb.connect(":memory:")
    create_all(connection)
    load_reference(connection, home)
    yield home, connection
    connection.close()


@st.composite
def files(draw):
    """Payment lines, some repeating the lineId of an earlier one or naming the beneficiary as partner."""
    count = draw(st.integers(min_value=1, max_value=10))
    lines, broken = [], set()
    for index in range(count):
        person = ssin(draw(st.integers(min_value=1, max_value=5)))
        line_id = f"L{index}"
        if index and draw(st.integers(min_value=0, max_value=5)) == 0:
            line_id = draw(st.sampled_from([line["lineId"] for line in lines]))
            broken.add(index + 1)
        partner = None
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            partner = person
            broken.add(index + 1)
        lines.append(payment(line_id, ssin=person, partnerSsin=partner))
    return lines, broken


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_read_gives_fast_batches_or_a_verdict_naming_the_xml_lines(loaded, generated):
    home, connection = loaded
    lines, broken = generated
    folder = home.warehouse_dir
    path = drop(home.payments_inbox, "p.xml", payments_xml(lines))
    xml = path.read_text().splitlines()
    reading = Reader().read(describe(path, "payments"), folder / "s.parquet", rules=judge(connection, "payments"))
    try:
        if not broken:
            assert reading.verdict is None and reading.native  # the fast path answered
            assert reading.rows == len(lines) and reading.spool.is_file()
            return
        assert reading.verdict is not None and reading.verdict.category == "business"
        assert reading.spool is None and not reading.native  # read again by the detailed parser
        assert {v.line_no for v in reading.verdict.violations} == broken
        for violation in reading.verdict.violations:  # the XML line where that element starts
            assert xml[violation.source_line - 1].strip() == "<line>", violation.describe()
        assert not list(folder.glob("*.parquet"))  # neither reading's spool is left behind
    finally:
        reading.discard()
        path.unlink()


SSIN_LIKE = st.one_of(
    st.integers(min_value=1, max_value=40).map(ssin),  # valid, and recurring
    st.integers(min_value=1, max_value=40).map(lambda n: ssin(n)[:9] + f"{(int(ssin(n)[9:]) + 1) % 100:02d}"),
    st.text("0123456789", min_size=10, max_size=12),
    st.text(min_size=0, max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(SSIN_LIKE, max_size=30), min_size=1, max_size=5), st.integers(min_value=1, max_value=8))
def test_the_ssin_cache_answers_as_python_stdnum_whatever_its_bound(batches, most):
    valid = ValidSsins(most)
    scan = SsinScan("rights", valid)
    for values in batches:
        scan.add(pa.record_batch({"ssin": pa.array(values, pa.string())}))
        assert len(valid.known) <= most
        assert list(valid.sorted) == sorted(set(valid.sorted))  # the sorted copy stays sorted and unique
    everything = [value for values in batches for value in values]
    assert scan.bad["ssin"] == {v: ssin_error(v) for v in everything if ssin_error(v) is not None}
    assert all(valid.error(v) == ssin_error(v) for v in everything)


def test_the_ssin_cache_is_its_readers_and_stays_in_its_process():
    first, second = Reader(), Reader()
    scan = SsinScan("payments", first.ssins)
    scan.add(pa.record_batch({"ssin": [ssin(1), "12345678901"], "partner_ssin": pa.array([None, None], pa.string())}))
    assert first.ssins.known == {int(ssin(1))} and not second.ssins.known
    sent = pickle.loads(pickle.dumps(scan))  # what a parse process sends back to the writer: the bad values only
    assert sent.bad == scan.bad and sent.valid is None
    # and the rules keep no cache of their own at module level (a set, a list or an array of values)
    kept = [name for name, value in vars(ingest.rules).items() if isinstance(value, set | list | np.ndarray)]
    assert not kept, kept


def _ingest_imports(path: Path) -> set[str]:
    """The ``ingest.*`` modules a module of ``ingest/`` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "ingest":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("ingest."):
                found.add(node.module.removeprefix("ingest."))
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("ingest.") for a in node.names if a.name.startswith("ingest."))
    return found


def test_one_file_goes_down_the_rooms_of_the_ingest_once():
    graph = {path.stem: _ingest_imports(path) for path in INGEST.glob("*.py") if path.stem != "__init__"}
    # the loader talks to the inbox, the spool, the reader and the rules, never to a parser or the schemas
    assert graph["loader"] & {"native", "parser", "schemas"} == set(), graph["loader"]
    # the reader is the one door to the two parsers
    assert {name for name, imports in graph.items() if "native" in imports} == {"reader"}
    assert {name for name, imports in graph.items() if "parser" in imports} <= {"reader", "native"}
    # and nothing comes back up: no module imports one that imports it, at any distance
    seen: dict[str, int] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if seen.get(name):
            return
        for imported in graph.get(name, ()):
            visit(imported, (*path, name))
        seen[name] = 1

    for name in graph:
        visit(name, ())

"""Fixtures of the ingest tests: a real LWW_HOME and a real DuckDB warehouse in tmp_path."""

from __future__ import annotations

import duckdb
import pytest

from ingest import load_reference
from kernel.settings import settings as make_settings
from tests.ingest.ingest_builders import write_pcsa


@pytest.fixture
def home(tmp_path):
    return make_settings(tmp_path / "home").ensure()


@pytest.fixture
def warehouse(home):
    """A read-write connection to the warehouse, with the reference CPAS loaded."""
    connection = duckdb.connect(str(home.warehouse))
    write_pcsa(home.reference)
    load_reference(connection, home)
    yield connection
    connection.close()

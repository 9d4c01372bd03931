"""The one way to open the warehouse from the pipeline: under its lock, closed however the block ends.

DuckDB allows one read-write process or many read-only ones, never both: a check that reads while dbt writes
would fail, or make dbt fail. So readers take the same exclusive lock as writers (``lock.exclusive``), and a
busy file is reported in one line naming its holder instead of DuckDB's stack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from dagster_project.failures import duckdb_busy
from dagster_project.lock import exclusive
from kernel import raw_tables
from kernel.errors import LwwError
from kernel.settings import Settings


def connect_warehouse(home: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse, or a one-line error naming who holds it when another process has it open."""
    try:
        return duckdb.connect(str(home.warehouse), read_only=read_only)
    except duckdb.IOException as error:
        busy = duckdb_busy(error)
        if busy:
            raise LwwError(busy) from None
        raise


@contextmanager
def opened(home: Settings, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for the block, for a caller that already holds the warehouse lock."""
    connection = connect_warehouse(home, read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def reader(home: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, under the warehouse lock (checks and other steps that only read)."""
    with exclusive(home.warehouse_lock), opened(home, read_only=True) as connection:
        yield connection


@contextmanager
def writer(home: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An exclusive read-write connection, with the raw tables created."""
    with exclusive(home.warehouse_lock), opened(home, read_only=False) as connection:
        raw_tables.create_all(connection)
        yield connection

"""Resources: where the home is, and the one way to write the warehouse (lock, connect, raw tables)."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from dagster_project.failures import duckdb_busy
from dagster_project.lock import exclusive
from kernel import raw_tables
from kernel.errors import LwwError
from kernel.settings import Settings, settings


def connect_warehouse(home: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse, or a one-line error naming who holds it when another process has it open."""
    try:
        return duckdb.connect(str(home.warehouse), read_only=read_only)
    except duckdb.IOException as error:
        busy = duckdb_busy(error)
        if busy:
            raise LwwError(busy) from None
        raise


class Warehouse(dg.ConfigurableResource):
    """The warehouse of one ``LWW_HOME``. Steps write only through :meth:`writer`."""

    home: str = ""  # empty: $LWW_HOME, else data/ under the project

    @property
    def settings(self) -> Settings:
        return settings(self.home or None).ensure()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """An exclusive read-write connection, with the raw tables created."""
        home = self.settings
        with exclusive(home.warehouse_lock):
            connection = connect_warehouse(home)
            try:
                raw_tables.create_all(connection)
                yield connection
            finally:
                connection.close()

    @contextmanager
    def locked(self) -> Iterator[Settings]:
        """The lock alone, for steps whose writer is another process (dbt)."""
        home = self.settings
        with exclusive(home.warehouse_lock):
            yield home

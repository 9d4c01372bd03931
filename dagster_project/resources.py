"""Resources: where the home is, and the one way to open the warehouse from a step (``warehouse.py``)."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from dagster_project import warehouse
from dagster_project.lock import exclusive
from kernel.settings import Settings, settings


class Warehouse(dg.ConfigurableResource):
    """The warehouse of one ``LWW_HOME``. Steps open it only through :meth:`writer`, :meth:`reader` or
    :meth:`locked`."""

    home: str = ""  # empty: $LWW_HOME, else data/ under the project

    @property
    def settings(self) -> Settings:
        return settings(self.home or None).ensure()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """An exclusive read-write connection, with the raw tables created."""
        with warehouse.writer(self.settings) as connection:
            yield connection

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection under the lock, for steps that only read (the checks)."""
        with warehouse.reader(self.settings) as connection:
            yield connection

    @contextmanager
    def locked(self) -> Iterator[Settings]:
        """The lock alone, for steps whose writer is another process (dbt)."""
        home = self.settings
        with exclusive(home.warehouse_lock):
            yield home

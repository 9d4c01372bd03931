"""Resources: where the home is, and the one way to write the warehouse (lock, connect, raw tables)."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from dagster_project.lock import exclusive
from kernel import raw_tables
from kernel.errors import LwwError
from kernel.settings import Settings, settings


@contextmanager
def no_retry_on_bad_input() -> Iterator[None]:
    """A user-facing error (bad input, refused operation) will fail again: fail the step now, with its message."""
    try:
        yield
    except LwwError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error


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
            connection = duckdb.connect(str(home.warehouse))
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

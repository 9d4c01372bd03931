"""The direct path: upstream lines and events straight into the raw tables of ``kernel.raw_tables``.

No XML: a 15-year Belgian dataset (about 45 million lines) would be 13 GB of it. Each upstream file becomes
Arrow rows plus a ledger row in ``raw.loaded_files``, exactly as if the ingest had loaded it, so the pipeline
downstream cannot tell the difference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa

from kernel.errors import LwwError
from kernel.raw_tables import LOADED_FILES, PAYMENT_LINES, REFERENCE_FILES, RIGHT_EVENTS, create_all
from simulator.days import month_date
from simulator.files import UpstreamFile

_TARGET = {"payments": PAYMENT_LINES, "rights": RIGHT_EVENTS}


def table_digest(table: pa.Table) -> str:
    """A content hash of the rows (there is no file to hash): the column buffers, in order."""
    digest = hashlib.sha256()
    for column in table.columns:
        for chunk in column.chunks:
            for buffer in chunk.buffers():
                if buffer is not None:
                    digest.update(memoryview(buffer))
    return digest.hexdigest()


class RawWriter:
    """One read-write connection to a warehouse file; one transaction per batch of files."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = duckdb.connect(str(path))
        except duckdb.IOException as error:
            raise LwwError(f"cannot open {path} for writing ({error}): is a pipeline run using it?") from None
        create_all(self.connection)

    def close(self) -> None:
        self.connection.close()

    def refuse_loaded(self, file_ids: list[str]) -> None:
        known = self.connection.execute(
            f"SELECT file_id FROM {LOADED_FILES.qualified} WHERE file_id IN (SELECT unnest(?))", [file_ids]
        ).fetchall()
        if known:
            raise LwwError(
                f"{known[0][0]} is already loaded in this warehouse: simulate into a fresh file (--raw-to NEW.duckdb)"
            )

    def write_files(self, files: list[UpstreamFile]) -> None:
        con = self.connection
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        ledger = []
        con.execute("BEGIN TRANSACTION")
        try:
            for upstream in files:
                table = upstream.table
                con.register("simulated_batch", table)
                con.execute(f"INSERT INTO {_TARGET[upstream.kind].qualified} SELECT * FROM simulated_batch")
                con.unregister("simulated_batch")
                ledger.append(
                    (
                        upstream.file_id,
                        upstream.kind,
                        upstream.file_name,
                        table_digest(table),
                        table.num_rows,
                        upstream.created_at,
                        now,
                        month_date(upstream.month),
                    )
                )
            if ledger:
                con.executemany(f"INSERT INTO {LOADED_FILES.qualified} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ledger)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

    def write_reference(self, tables: dict[str, pa.Table]) -> None:
        """Replace the reference tables whole, as each refresh does."""
        con = self.connection
        con.execute("BEGIN TRANSACTION")
        for name, table in tables.items():
            target = REFERENCE_FILES[name].qualified
            con.execute(f"DELETE FROM {target}")
            con.register("simulated_reference", table)
            con.execute(f"INSERT INTO {target} SELECT * FROM simulated_reference")
            con.unregister("simulated_reference")
        con.execute("COMMIT")

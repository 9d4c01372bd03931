"""What an extract reads: the published snapshot being served (never the warehouse, which only pipeline runs
open), its reference date, and the institutions and authorisations published with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from kernel import snapshots
from kernel.calendar import amounts_date, cutoff
from kernel.errors import LwwError
from kernel.settings import Settings


@dataclass(frozen=True)
class Source:
    """One published snapshot, opened read-only for the length of an extract."""

    snapshot_id: str
    reference_date: dt.date  # R: what the rights are as of
    connection: duckdb.DuckDBPyConnection

    @property
    def amounts_date(self) -> dt.date:
        """A(R): what the amounts are as of (their ``referenceDate``)."""
        return amounts_date(self.reference_date)

    @property
    def cutoff(self) -> dt.date:
        return cutoff(self.reference_date)


@contextmanager
def opened(home: Settings, snapshot_id: str | None = None) -> Iterator[Source]:
    """The snapshot ``snapshot_id`` (default: CURRENT), read-only."""
    try:
        snapshot = snapshots.load(home.published, snapshot_id) if snapshot_id else snapshots.current(home.published)
    except snapshots.SnapshotError as error:
        raise LwwError(str(error)) from None
    if snapshot is None:
        raise LwwError(f"nothing is published in {home.published} yet: run lww refresh first")
    connection = snapshots.connect(snapshot)
    try:
        yield Source(snapshot.refresh_id, snapshot.reference_date, connection)
    finally:
        connection.close()


@dataclass(frozen=True)
class Recipient:
    cbe_number: str
    name: str
    legal_context: str | None = None


class Refused(LwwError):
    """The recipient may not receive the extract (``MSG00013``): audited, then reported. ``plan`` is the
    extract that was asked for."""

    def __init__(self, message: str, plan) -> None:
        super().__init__(message)
        self.plan = plan


def institution_of_sector(source: Source, sector: int, label: str) -> Recipient:
    """The one institution of CBSS sector ``sector`` in the snapshot's institutions."""
    rows = source.connection.execute(
        "SELECT cbe_number, name FROM dim_institutions WHERE sector = ? ORDER BY cbe_number", [sector]
    ).fetchall()
    if len(rows) != 1:
        found = "none" if not rows else ", ".join(r[0] for r in rows)
        raise LwwError(
            f"snapshot {source.snapshot_id}: expected one {label} institution (sector {sector}) in "
            f"reference/institutions.csv, found {found}"
        )
    return Recipient(rows[0][0], rows[0][1])


def authorised_legal_context(source: Source, cbe_number: str, operation: str, today: dt.date) -> str | None:
    """The legal context of an authorisation of ``cbe_number`` for exactly ``operation`` valid on ``today``
    (the first by name when there are several), or None. A service wildcard (``LivingWagesWithAmount:*``)
    covers the consultations, not an extract: an extract has its own deliberation."""
    row = source.connection.execute(
        "SELECT legal_context FROM authorizations WHERE cbe_number = ? AND operation = ? "
        "AND valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?) ORDER BY legal_context LIMIT 1",
        [cbe_number, operation, today, today],
    ).fetchone()
    return row[0] if row else None

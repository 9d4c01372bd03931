"""The rows of one query by person: sorted people, each with a row range, and the columns in compact form.

A request finds its person by binary search and slices their rows, no SQL at all: a DuckDB point query costs
planning and a zone-map scan per call, and three of them per request missed the latency target
(``bench/README.md``). No per-process Python dict of people either, so the arrays can be memory-mapped from the
index files (``kernel.index.files``) and shared by every worker process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kernel.index.codec import PARTS, ColumnBuilder, cached_day, decoder, stored_day
from kernel.index.codec import populate as populate_pages


class PersonIndex:
    """The rows of one query, whose first column is the person and which is ordered by it, by person.

    Columns are held as numpy arrays (dates as days, strings as dictionary codes, money as cents, grant periods
    as offsets into flat day arrays). People are a sorted array of their
    identifiers (bytes) with each one's row range, found by binary search: no per-process Python dict, so the
    arrays can be memory-mapped from the index files (:class:`IndexCache`) and shared by every worker process.
    """

    BATCH_ROWS = 1_000_000
    # the index files' version (published in the manifest, and in the service cache's folder names): bumped when
    # an index's columns change (2: the rights' V3 columns); files of another format are built again by the service
    FORMAT = 2

    def __init__(
        self,
        people: np.ndarray,
        starts: np.ndarray,
        stops: np.ndarray,
        columns: list[tuple[str, str, dict[str, np.ndarray]]],
    ) -> None:
        self.people, self.starts, self.stops = people, starts, stops
        self.columns = [name for name, _, _ in columns]
        self._kinds = [kind for _, kind, _ in columns]
        self._arrays = [arrays for _, _, arrays in columns]
        self._width = people.dtype.itemsize
        first = columns[0][2] if columns else {}
        self.num_rows = len(first["offsets"]) - 1 if "offsets" in first else len(first.get("data", ()))
        self._decoders = [decoder(kind, arrays) for _, kind, arrays in columns]
        self._codes: dict[int, dict[str, int]] = {}  # string column -> its dictionary, built at first use
        self._maps: list[np.memmap] = []  # the mappings of the files it was opened from (:meth:`open`)

    @classmethod
    def build(cls, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> PersonIndex:
        builders = [ColumnBuilder(field.name, field.type) for field in list(schema)[1:]]
        ranges: dict[str, list[int]] = {}
        last_person, base = None, 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            runs = pc.run_end_encode(batch.column(0))
            start = 0
            for person, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
                if person == last_person and start == 0:  # a person's rows continue from the previous batch
                    ranges[person][1] = base + end
                else:
                    ranges[person] = [base + start, base + end]
                start, last_person = end, person
            for builder, column in zip(builders, batch.columns[1:], strict=True):
                builder.add(column)
            base += batch.num_rows
        ranges.pop(None, None)  # rows without a person are never asked for
        people = np.array([p.encode() for p in ranges], dtype=np.bytes_) if ranges else np.zeros(0, "S1")
        bounds = np.array(list(ranges.values()), dtype=np.int64).reshape(-1, 2)
        order = np.argsort(people, kind="stable")  # numpy's byte order, whatever the query's collation
        return cls(
            people[order],
            bounds[order, 0].copy(),
            bounds[order, 1].copy(),
            [(b.name, b.kind, b.arrays()) for b in builders],
        )

    @classmethod
    def load(cls, connection: duckdb.DuckDBPyConnection, sql: str) -> PersonIndex:
        reader = connection.sql(sql).to_arrow_reader(cls.BATCH_ROWS)
        return cls.build(reader, reader.schema)

    @classmethod
    def from_table(cls, table: pa.Table) -> PersonIndex:
        return cls.build(table.to_batches(), table.schema)

    # -- files: one .npy per array, memory-mapped when opened ----------------------------------------------
    def files(self) -> dict[str, np.ndarray]:
        found = {"people": self.people, "starts": self.starts, "stops": self.stops}
        for name, arrays in zip(self.columns, self._arrays, strict=True):
            for part, array in arrays.items():
                found[f"{name}.{part}"] = array
        return found

    def describe(self) -> dict:
        return {"columns": [[name, kind] for name, kind in zip(self.columns, self._kinds, strict=True)]}

    @classmethod
    def open(cls, directory: Path, prefix: str, description: dict, *, populate: bool = True) -> PersonIndex:
        """The index memory-mapped from its files; its pages mapped into this process now unless ``populate`` is
        false (:meth:`populate` later: the service maps a new snapshot's pages only once the old one is let go,
        so a switch never holds both)."""
        maps = []

        def mapped(name: str) -> np.ndarray:
            found = np.load(directory / f"{prefix}.{name}.npy", mmap_mode="r", allow_pickle=False)
            maps.append(found)
            # a plain ndarray view of the mapping: slicing an np.memmap costs a subclass object per slice
            return found.view(np.ndarray)

        columns = []
        for name, kind in description["columns"]:
            parts = PARTS.get(kind, ("data",))
            columns.append((name, kind, {part: mapped(f"{name}.{part}") for part in parts}))
        index = cls(mapped("people"), mapped("starts"), mapped("stops"), columns)
        index._maps = maps
        if populate:
            index.populate()
        return index

    def populate(self) -> None:
        """Map every page of the index files into this process now (:func:`~kernel.index.codec.populate`)."""
        for array in self._maps:
            populate_pages(array)

    def range_of(self, person: str) -> tuple[int, int] | None:
        key = person.encode()
        if len(key) > self._width:
            return None
        i = int(self.people.searchsorted(key))
        if i >= len(self.people) or self.people[i] != key:
            return None
        return int(self.starts[i]), int(self.stops[i])

    def rows(self, person: str, low=None, high=None) -> list[tuple]:
        """The person's rows as tuples, in the query's order (columns after the person); with ``low``/``high``
        (dates or ints, inclusive), only those whose first column lies between them, which the query orders
        within a person: found by binary search before any row is decoded."""
        found = self.bounds(person, low, high)
        return self.decode(*found) if found else []

    def bounds(self, person: str, low=None, high=None) -> tuple[int, int] | None:
        """The positions [start, stop) of the rows :meth:`rows` would give, or None when there are none."""
        found = self.range_of(person)
        if found is None:
            return None
        start, stop = found
        if low is not None or high is not None:
            first = self._arrays[0]["data"][start:stop]
            if low is not None:
                start += int(first.searchsorted(self._raw(low), "left"))
            if high is not None:
                stop = found[0] + int(first.searchsorted(self._raw(high), "right"))
        return (start, stop) if stop > start else None

    def decode(self, start: int, stop: int) -> list[tuple]:
        """Rows [start, stop) as tuples of Python values."""
        return list(zip(*(decode(start, stop) for decode in self._decoders), strict=True))

    def stored(self, start: int, stop: int) -> list:
        """Rows [start, stop) as stored, column by column, without decoding: lists of days (dates), dictionary
        codes (strings; -1 for null, see :meth:`text`), cents, ints and booleans; a periods column as
        ``(offsets, begin days, end days)`` where row i's periods are positions offsets[i]..offsets[i+1]-1."""
        found = []
        for kind, arrays in zip(self._kinds, self._arrays, strict=True):
            if kind == "periods":
                offsets = arrays["offsets"][start : stop + 1].tolist()
                first, last = offsets[0], offsets[-1]
                found.append(
                    (
                        [o - first for o in offsets],
                        arrays["begins"][first:last].tolist(),
                        arrays["ends"][first:last].tolist(),
                    )
                )
            else:
                found.append(arrays["data"][start:stop].tolist())
        return found

    def values(self, column: int, start: int, stop: int) -> list:
        """One column of :meth:`stored` (not a periods column)."""
        return self._arrays[column]["data"][start:stop].tolist()

    def code(self, column: int, text: str) -> int | None:
        """The dictionary code of ``text`` in string column ``column``, or None when no row holds it."""
        codes = self._codes.get(column)
        if codes is None:
            values = self._arrays[column]["values"].tolist()
            codes = self._codes[column] = {value: code for code, value in enumerate(values)}
        return codes.get(text)

    def text(self, column: int, code: int) -> str | None:
        """The string of dictionary code ``code`` of string column ``column`` (as numbered by :meth:`stored`)."""
        return None if code < 0 else str(self._arrays[column]["values"][code])

    @staticmethod
    def day(days: int) -> dt.date | None:
        """A stored day as a date."""
        return cached_day(days)

    def _raw(self, value) -> int:
        """A value of the first column as stored (dates as days since 1970)."""
        if self._kinds[0] == "date":
            return stored_day(value)
        if self._kinds[0] == "int":
            return int(value)
        raise TypeError(f"column {self.columns[0]} ({self._kinds[0]}) cannot bound a search")

    def __len__(self) -> int:
        return self.num_rows

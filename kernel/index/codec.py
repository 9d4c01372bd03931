"""How an index stores a column, and reads it back: days, dictionary codes, cents, offsets into flat day arrays.

Arrow's own ``to_pylist`` goes through one Scalar object per value, measured many times slower for the few dozen
rows of a person (figures in ``bench/README.md``); numpy arrays and their ``tolist`` plus a cheap conversion are
what keep a request sub-millisecond. Nothing here knows which table a column comes from (``layout`` does).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import mmap
import sys
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
NULL_DAY = -(2**31)
_fromordinal = dt.date.fromordinal


def _day(days: int) -> dt.date | None:
    return None if days == NULL_DAY else _fromordinal(EPOCH_ORDINAL + days)


def stored_day(value: dt.date) -> int:
    """A date as a date column stores it (days since 1970)."""
    return value.toordinal() - EPOCH_ORDINAL


class ColumnBuilder:
    """One column of an index, accumulated batch by batch in compact numpy form.

    Batches are converted as they stream out of DuckDB, so a load never holds the whole table twice.
    """

    def __init__(self, name: str, kind: pa.DataType) -> None:
        self.name = name
        if name.endswith("_cents"):  # money as integer cents, back to Decimal with 2 places
            self.kind = "cents"
        elif pa.types.is_date32(kind):
            self.kind = "date"
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            self.kind = "str"
        elif pa.types.is_boolean(kind):
            self.kind = "bool"
        elif pa.types.is_integer(kind):
            self.kind = "int"
        elif pa.types.is_list(kind) and pa.types.is_struct(kind.value_type):
            self.kind = "periods"  # grant periods: [(begin, end), ...]
        else:
            raise TypeError(f"column {name} of type {kind} has no compact form in the service's index")
        self.chunks: list[np.ndarray] = []
        self.begins: list[np.ndarray] = []
        self.ends: list[np.ndarray] = []
        self.offsets: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.total = 0
        self.codes: dict[str, int] = {}

    @staticmethod
    def _days(array: pa.Array) -> np.ndarray:
        return pc.fill_null(array.cast(pa.int32()), NULL_DAY).to_numpy()

    def add(self, array: pa.Array) -> None:
        if self.kind == "cents":
            self.chunks.append(pc.fill_null(array, 0).to_numpy())
        elif self.kind == "date":
            self.chunks.append(self._days(array))
        elif self.kind == "bool":
            self.chunks.append(pc.fill_null(array, False).to_numpy(zero_copy_only=False))
        elif self.kind == "int":
            self.chunks.append(pc.fill_null(array, 0).to_numpy())
        elif self.kind == "str":
            encoded = pc.dictionary_encode(array)
            mapping = np.array(
                [self.codes.setdefault(v, len(self.codes)) for v in encoded.dictionary.to_pylist()] or [-1],
                dtype=np.int32,
            )
            local = pc.fill_null(encoded.indices.cast(pa.int32()), -1).to_numpy()
            self.chunks.append(np.where(local >= 0, mapping[np.maximum(local, 0)], -1).astype(np.int32))
        else:
            offsets = array.offsets.to_numpy().astype(np.int64)
            flat = array.values.slice(offsets[0], offsets[-1] - offsets[0])
            self.begins.append(self._days(flat.field(0)))
            self.ends.append(self._days(flat.field(1)))
            self.offsets.append(offsets[1:] - offsets[0] + self.total)
            self.total += int(offsets[-1] - offsets[0])

    def arrays(self) -> dict[str, np.ndarray]:
        """The column's final arrays, by part name (what an index file holds)."""
        if self.kind == "periods":
            return {
                "offsets": np.concatenate(self.offsets),
                "begins": np.concatenate(self.begins) if self.begins else np.zeros(0, np.int32),
                "ends": np.concatenate(self.ends) if self.ends else np.zeros(0, np.int32),
            }
        found = {"data": np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int64)}
        if self.kind == "str":
            found["values"] = np.array(list(self.codes), dtype=np.str_) if self.codes else np.zeros(0, "U1")
        return found


PARTS = {"periods": ("offsets", "begins", "ends"), "str": ("data", "values")}


@functools.lru_cache(maxsize=1 << 16)
def cached_day(days: int) -> dt.date | None:
    return _day(days)


@functools.lru_cache(maxsize=1 << 16)
def _cached_span(begin: int, end: int) -> tuple[dt.date | None, dt.date | None]:
    return (_day(begin), _day(end))


@functools.lru_cache(maxsize=1 << 16)
def _cached_money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def decoder(kind: str, arrays: dict[str, np.ndarray]):
    """A function (start, stop) -> the Python values of those rows of one column.

    Values repeat across rows and requests (the same months, periods and amounts), so dates, periods and money
    come from small caches keyed by their stored integers, and strings from one vectorised lookup."""
    if kind == "periods":
        offsets, begins, ends = arrays["offsets"], arrays["begins"], arrays["ends"]

        def periods(a: int, b: int) -> list[tuple]:
            bounds = offsets[a : b + 1].tolist()
            first, last = bounds[0], bounds[-1]
            pairs = list(map(_cached_span, begins[first:last].tolist(), ends[first:last].tolist()))
            return [tuple(pairs[bounds[i] - first : bounds[i + 1] - first]) for i in range(len(bounds) - 1)]

        return periods
    data = arrays["data"]
    if kind == "cents":
        return lambda a, b: list(map(_cached_money, data[a:b].tolist()))
    if kind == "date":
        return lambda a, b: list(map(cached_day, data[a:b].tolist()))
    if kind == "str":
        values = arrays["values"]

        def strings(a: int, b: int) -> list[str | None]:
            codes = data[a:b]
            found = values[codes].tolist() if len(values) else [None] * len(codes)
            if (codes < 0).any():
                found = [None if code < 0 else value for code, value in zip(codes.tolist(), found, strict=True)]
            return found

        return strings
    return lambda a, b: data[a:b].tolist()


_MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)  # Linux 5.14+


def populate(array: np.memmap) -> None:
    """Map every page of the file into this process now (they are shared, from the page cache).

    Without it, each request for a person not asked before page-faults its way through a dozen columns inside
    numpy's ``tolist``, a large share of the request at Belgian scale, while populating every page at once is
    cheap (``bench/README.md``). Best effort: on a kernel without it, pages are faulted in by the requests as before.
    """
    mapping = getattr(array, "_mmap", None)
    if sys.platform == "linux" and mapping is not None and len(mapping):
        with contextlib.suppress(OSError, ValueError):
            mapping.madvise(_MADV_POPULATE_READ)

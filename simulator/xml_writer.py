"""Upstream files as XML (CONTRACT §2): plain string building and buffered writes, no DOM.

A file appears under its final name only once complete (written beside it under a dot-name, then renamed), so
a watcher of the inbox never picks up half a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.files import UpstreamFile

PAYMENTS_NS = "urn:be:fgov:mi-is:lww:payments:v1"
RIGHTS_NS = "urn:be:fgov:mi-is:lww:rights:v1"
_CHUNK = 5_000


def _text(column: pa.ChunkedArray) -> list[str | None]:
    """A string column as Python strings, escaped for XML text (identifiers rarely need it: check once)."""
    values = column.to_pylist()
    if pc.any(pc.match_substring_regex(column, r"[<>&]")).as_py():
        return [None if v is None else escape(v) for v in values]
    return values


def _iso(column: pa.ChunkedArray) -> list[str | None]:
    """Dates as ISO text through a lookup table of the file's date range."""
    days = pc.cast(column, pa.int32()).to_numpy(zero_copy_only=False)
    valid = ~pc.is_null(column).to_numpy(zero_copy_only=False)
    if not valid.any():
        return [None] * len(days)
    low = int(days[valid].min())
    high = int(days[valid].max())
    table = np.datetime_as_string(np.arange(low, high + 1).astype("datetime64[D]"), unit="D").astype(object)
    result = table[np.where(valid, days, low).astype(np.int64) - low]
    result[~valid] = None
    return result.tolist()


def _atomic_write(path: Path, pieces) -> int:
    partial = path.with_name(f".{path.name}.partial")
    size = 0
    with open(partial, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        for piece in pieces:
            out.write(piece)
            size += len(piece)
    os.replace(partial, path)
    return size


def _payment_pieces(upstream: UpstreamFile):
    t = upstream.table
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        f'<paymentAcceptances xmlns="{PAYMENTS_NS}" fileId={quoteattr(upstream.file_id)}'
        f" createdAt={quoteattr(upstream.created_at_text)}>\n"
    )
    columns = zip(
        _text(t["line_id"]),
        _text(t["replaces_line_id"]),
        _text(t["pcsa_cbe_number"]),
        _text(t["ssin"]),
        _text(t["partner_ssin"]),
        t["allowance_type"].to_pylist(),
        t["household_category"].to_pylist(),
        _iso(t["begin_date"]),
        _iso(t["end_date"]),
        pc.cast(t["amount"], pa.string()).to_pylist(),
        _iso(t["payment_date"]),
        _iso(t["acceptance_date"]),
        t["decision"].to_pylist(),
        _text(t["rejection_code"]),
        strict=True,
    )
    buffer: list[str] = []
    for (
        line_id,
        replaces,
        cbe,
        ssin,
        partner,
        allowance,
        category,
        begin,
        end,
        amount,
        paid,
        accepted,
        decision,
        code,
    ) in columns:
        buffer.append(
            f"  <line>\n    <lineId>{line_id}</lineId>\n"
            + (f"    <replacesLineId>{replaces}</replacesLineId>\n" if replaces is not None else "")
            + f"    <pcsaCbeNumber>{cbe}</pcsaCbeNumber>\n    <ssin>{ssin}</ssin>\n"
            + (f"    <partnerSsin>{partner}</partnerSsin>\n" if partner is not None else "")
            + f"    <allowanceType>{allowance}</allowanceType>\n"
            f"    <householdCategory>{category}</householdCategory>\n"
            f"    <period><beginDate>{begin}</beginDate><endDate>{end}</endDate></period>\n"
            f"    <amount>{amount}</amount>\n    <paymentDate>{paid}</paymentDate>\n"
            f"    <acceptanceDate>{accepted}</acceptanceDate>\n    <decision>{decision}</decision>\n"
            + (f"    <rejectionCode>{code}</rejectionCode>\n" if code is not None else "")
            + "  </line>\n"
        )
        if len(buffer) >= _CHUNK:
            yield "".join(buffer)
            buffer.clear()
    yield "".join(buffer)
    yield "</paymentAcceptances>\n"


def _right_pieces(upstream: UpstreamFile):
    t = upstream.table
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        f'<rightEvents xmlns="{RIGHTS_NS}" fileId={quoteattr(upstream.file_id)}'
        f" createdAt={quoteattr(upstream.created_at_text)}>\n"
    )
    columns = zip(
        _text(t["event_id"]),
        _text(t["right_id"]),
        t["sequence"].to_pylist(),
        t["event_type"].to_pylist(),
        _text(t["ssin"]),
        _text(t["pcsa_cbe_number"]),
        t["category"].to_pylist(),
        t["household_category"].to_pylist(),
        _iso(t["begin_date"]),
        _iso(t["end_date"]),
        _iso(t["application_date"]),
        _iso(t["decision_date"]),
        _iso(t["registration_date"]),
        t["subsidy_requested"].to_pylist(),
        strict=True,
    )
    buffer: list[str] = []
    for (
        event_id,
        right_id,
        seq,
        kind,
        ssin,
        cbe,
        category,
        household,
        begin,
        end,
        applied,
        decided,
        registered,
        subsidy,
    ) in columns:
        buffer.append(
            f"  <event>\n    <eventId>{event_id}</eventId>\n    <rightId>{right_id}</rightId>\n"
            f"    <sequence>{seq}</sequence>\n    <eventType>{kind}</eventType>\n"
            f"    <ssin>{ssin}</ssin>\n    <pcsaCbeNumber>{cbe}</pcsaCbeNumber>\n"
            f"    <category>{category}</category>\n    <householdCategory>{household}</householdCategory>\n"
            f"    <period><beginDate>{begin}</beginDate>"
            + (f"<endDate>{end}</endDate>" if end is not None else "")
            + "</period>\n"
            f"    <applicationDate>{applied}</applicationDate>\n    <decisionDate>{decided}</decisionDate>\n"
            f"    <registrationDate>{registered}</registrationDate>\n"
            f"    <subsidyRequested>{'true' if subsidy else 'false'}</subsidyRequested>\n  </event>\n"
        )
        if len(buffer) >= _CHUNK:
            yield "".join(buffer)
            buffer.clear()
    yield "".join(buffer)
    yield "</rightEvents>\n"


def write_xml(upstream: UpstreamFile, folder: Path) -> Path:
    """Write one upstream file into ``folder`` (created if needed) under ``<fileId>.xml``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / upstream.file_name
    pieces = _payment_pieces(upstream) if upstream.kind == "payments" else _right_pieces(upstream)
    _atomic_write(path, pieces)
    return path

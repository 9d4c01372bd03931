"""The streamed XML writer of the extracts: text written record by record into a buffered file (memory flat
whatever the number of records), always the same bytes for the same content; ``xsd/extracts-v1.xsd`` is
the schema (the tests validate every file against it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from service.extracts.control import Figures

NAMESPACE = "urn:be:fgov:mi-is:lww:extracts:v1"
XSD = Path(__file__).with_name("xsd") / "extracts-v1.xsd"


@dataclass(frozen=True)
class Header:
    recipient_cbe: str
    recipient_name: str
    legal_context: str | None
    period_begin: dt.date
    period_end: dt.date
    reference_date: dt.date
    snapshot_id: str
    created_at: dt.datetime  # UTC; the only thing two runs on the same snapshot and period differ by


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def start(out: TextIO, root: str, header: Header) -> None:
    legal = f"<legalContext>{escape(header.legal_context)}</legalContext>" if header.legal_context else ""
    out.write(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NAMESPACE}">\n'
        f"<header><recipient><cbeNumber>{header.recipient_cbe}</cbeNumber>"
        f"<name>{escape(header.recipient_name)}</name></recipient>{legal}"
        f"<period><beginDate>{header.period_begin}</beginDate><endDate>{header.period_end}</endDate></period>"
        f"<referenceDate>{header.reference_date}</referenceDate><snapshotId>{escape(header.snapshot_id)}</snapshotId>"
        f"<fileCreationTimestamp>{timestamp(header.created_at)}</fileCreationTimestamp></header>\n"
    )


def control(out: TextIO, figures: Figures) -> None:
    totals = "".join(
        f'<totalAmount allowanceType="{kind}">{amount(value)}</totalAmount>'
        for kind, value in sorted(figures.totals.items())
    )
    out.write(
        f"<control><recordCount>{figures.record_count}</recordCount>"
        f"<distinctSsinCount>{figures.distinct_ssin_count}</distinctSsinCount>{totals}</control>\n"
    )


def end(out: TextIO, root: str) -> None:
    out.write(f"</{root}>\n")

"""Streaming parser of upstream files: XML -> Arrow record batches, pure (no database, no file moves).

``lxml.etree.iterparse`` with ``tag=`` yields one ``<line>``/``<event>`` at a time; each is cleared and its
previous siblings deleted, so memory stays flat whatever the file size. Values are picked by position from the
element's shape (see :class:`ingest.schemas.Layout`) and batched as columns of strings, which Arrow checks and
casts vectorised: dates to date32, amounts to decimal128(12, 2) exactly, never through floats.

How the XSD is enforced in streaming, and why, is explained in :mod:`ingest.schemas`; the security measures in
:mod:`ingest.security`.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from ingest.schemas import KIND_BY_ROOT, KINDS, Kind, ValueType
from ingest.security import Limits, parse_error, parser_options, precheck
from ingest.violations import MAX_VIOLATIONS, FileRejected, Violation

BATCH_ROWS = 50_000
SOURCE_LINE = "source_line"  # appended to the raw schema: the XML line of each element, for error messages

_FILE_ID = re.compile(r"\S{1,64}")
_CREATED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+\-]\d{2}:\d{2})?")


@dataclass(frozen=True)
class Header:
    """What the root start tag says: enough to order, partition and identify a file without parsing it."""

    kind: Kind
    file_id: str
    created_at: dt.datetime  # UTC, naive (as stored in raw.loaded_files)

    @property
    def reporting_month(self) -> dt.date:
        """The month of ``createdAt``: ingest is partitioned by arrival."""
        return self.created_at.date().replace(day=1)


def _schema_error(message: str, field: str | None = None, value: str | None = None, line: int | None = None):
    return FileRejected(
        "schema",
        [
            Violation(
                rule="schema",
                message=message,
                field=field,
                value=value,
                source_line=line,
                hint="fix the root element so that it follows the upstream XSD (ingest/xsd/)",
            )
        ],
    )


def read_header(path: Path, limits: Limits | None = None, expected_kind: str | None = None) -> Header:
    """Read the root start tag only (cheap): kind, fileId, createdAt. Raises :class:`FileRejected`."""
    limits = limits or Limits()
    precheck(path, limits)
    try:
        _event, root = next(iter(etree.iterparse(str(path), events=("start",), **parser_options())))
    except StopIteration:  # pragma: no cover - iterparse raises on an empty document
        raise _schema_error("the file has no root element") from None
    except etree.XMLSyntaxError as error:
        raise parse_error(path, error, limits) from None
    kind = KIND_BY_ROOT.get(root.tag)
    line = root.sourceline
    if kind is None:
        expected = " or ".join(f"{k.root} in {k.namespace}" for k in KINDS.values())
        raise _schema_error(f"root element {root.tag} is not an upstream file root ({expected})", line=line)
    if expected_kind is not None and kind.name != expected_kind:
        raise _schema_error(
            f"a {kind.name} file ({kind.root}) was dropped in the {expected_kind} inbox", field=kind.root, line=line
        )
    file_id = root.get("fileId")
    created_at = root.get("createdAt")
    if file_id is None or not _FILE_ID.fullmatch(file_id):
        raise _schema_error("fileId is missing or not 1-64 non-blank characters", "fileId", file_id, line)
    if created_at is None or not _CREATED_AT.fullmatch(created_at.strip()):
        raise _schema_error("createdAt is missing or not an xs:dateTime", "createdAt", created_at, line)
    try:
        moment = dt.datetime.fromisoformat(created_at.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _schema_error("createdAt is not a real date and time", "createdAt", created_at, line) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return Header(kind=kind, file_id=file_id, created_at=moment)


def output_schema(kind: Kind) -> pa.Schema:
    """The raw table's exact Arrow schema plus ``source_line``."""
    return kind.table.arrow_schema.append(pa.field(SOURCE_LINE, pa.int32(), nullable=False))


def build_batch(
    kind: Kind, schema: pa.Schema, file_id: str, first: int, texts: list[pa.Array], source_lines: pa.Array
) -> pa.RecordBatch:
    """A batch of the raw table from the checked texts of its fields (in ``kind.fields`` order): the one
    conversion of both ways of reading a file (this parser and :mod:`ingest.native`), so both give the same
    types, decimals, dates and strings."""
    count = len(source_lines)
    arrays: dict[str, pa.Array] = {
        field.column: _convert(field.value_type, text, schema.field(field.column).type)
        for field, text in zip(kind.fields, texts, strict=True)
    }
    arrays["file_id"] = pa.array([file_id] * count, pa.string())
    arrays["line_no"] = pa.array(range(first, first + count), pa.int32())
    arrays[SOURCE_LINE] = source_lines
    ordered = [arrays[name].cast(f.type) for name, f in zip(schema.names, schema, strict=True)]
    return pa.RecordBatch.from_arrays(ordered, schema=schema)


def _convert(value_type: ValueType, text: pa.Array, arrow_type: pa.DataType) -> pa.Array:
    """Dates, decimals, integers and booleans are converted once per distinct value (a month's file holds a few
    dozen dates and amounts), then spread back: the same values as converting each, at a fraction of the cost."""
    if value_type.base == "string":
        return value_type.convert(text, arrow_type)
    encoded = pc.dictionary_encode(text)
    return pc.take(value_type.convert(encoded.dictionary, arrow_type), encoded.indices)


class UpstreamFile:
    """One upstream file being read: its header, then its batches (``batches()`` may be iterated once).

    Raises :class:`FileRejected` (hostile, malformed or schema) from ``open`` or while iterating; the caller
    discards whatever batches it got, since a file is loaded whole or not at all.
    """

    def __init__(self, path: Path, header: Header, limits: Limits, batch_rows: int | None = None) -> None:
        self.path = path
        self.header = header
        self.kind = header.kind
        self.limits = limits
        self.batch_rows = batch_rows or BATCH_ROWS
        self.schema = output_schema(self.kind)
        self.rows = 0

    @classmethod
    def open(
        cls,
        path: Path,
        limits: Limits | None = None,
        expected_kind: str | None = None,
        batch_rows: int | None = None,
    ) -> UpstreamFile:
        limits = limits or Limits()
        return cls(path, read_header(path, limits, expected_kind), limits, batch_rows)

    def batches(self) -> Iterator[pa.RecordBatch]:
        kind = self.kind
        probes = kind.probes
        violations: list[Violation] = []
        total = 0
        structure_broken = False
        values: list[str | None] = []  # the batch's values, row after row (one flat list: see _batch)
        lines: list[int] = []
        item_tag = kind.qname(kind.item)
        root_tag = kind.qname(kind.root)
        # The root's end event is asked for too: a file is complete only once the parser has seen the end of its
        # root element. With a schema attached, libxml2 (through lxml) reports no error for a document that
        # simply stops (a truncated file), so without this check a file cut before its first </line> read as a
        # valid empty file, and one cut later as its first lines.
        root_closed = False
        context = etree.iterparse(
            str(self.path),
            events=("end",),
            tag=(item_tag, root_tag),
            schema=kind.structural_schema,
            **parser_options(),
        )
        # The loop allocates millions of small acyclic objects (proxies, strings, tuples): the cyclic garbage
        # collector would scan them again and again for nothing (a measurable share of the parse: bench/README.md).
        # Paused while reading, never while the consumer holds a batch.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for _event, element in context:
                if element.tag == root_tag and element.getparent() is None:
                    root_closed = True
                    continue
                nodes = list(element.iter())
                probe = probes.get(len(nodes))
                layout = None if probe is None else probe[1].get(tuple([nodes[i].tag for i in probe[0]]))
                if layout is None:
                    structure_broken = True  # stop reading: the diagnostic pass names it precisely
                    break
                texts = [n.text or "" for n in nodes]
                texts.append(None)
                values.extend(layout.pick(texts))
                lines.append(element.sourceline)
                del nodes  # proxies of cleared children would be kept alive (and copied) by lxml
                element.clear()
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
                if len(lines) >= self.batch_rows:
                    batch, found = self._batch(values, lines)
                    total += len(found)
                    violations.extend(found[: MAX_VIOLATIONS - len(violations)])
                    values, lines = [], []
                    if batch is not None and not violations:
                        if collecting:
                            gc.enable()
                        yield batch
                        gc.disable()
        except etree.XMLSyntaxError:
            # malformed or invalid: with a schema attached lxml's message and error log cannot tell which (nor
            # where), so the diagnostic pass, without schema, decides and names the line
            structure_broken = True
        finally:
            del context
            if collecting:
                gc.enable()
        if structure_broken or not root_closed:
            raise self._diagnose(truncated=not structure_broken)
        if lines or self.rows == 0:
            batch, found = self._batch(values, lines)
            total += len(found)
            violations.extend(found[: MAX_VIOLATIONS - len(violations)])
            if batch is not None and not violations:
                yield batch
        if violations:
            raise FileRejected("schema", violations, total)

    def _batch(self, values: list, lines: list[int]) -> tuple[pa.RecordBatch | None, list[Violation]]:
        """Check a batch's values against the XSD facets, vectorised; convert them to the raw Arrow types.

        ``values`` holds the rows one after another; a column is a strided slice of it (a C copy), which costs a
        fifth of transposing a list of row tuples with ``zip(*rows)`` (≈ 0.4 vs 2.3 µs a line).
        """
        kind = self.kind
        count = len(lines)
        first = self.rows + 1
        self.rows += count
        width = len(kind.fields)
        if len(values) != count * width:  # pragma: no cover - every layout picks one value per field
            raise RuntimeError(f"{len(values)} values for {count} rows of {width} fields")
        texts = [pa.array(values[i::width], pa.string()) for i in range(width)]
        found: list[Violation] = []
        for field, text in zip(kind.fields, texts, strict=True):
            ok = field.value_type.check(text)
            if count and not pc.all(ok).as_py():
                for index in pc.indices_nonzero(pc.invert(ok)).to_pylist()[:MAX_VIOLATIONS]:
                    found.append(
                        Violation(
                            rule="schema",
                            message=f"value is not a valid {field.value_type.describe()}",
                            field=field.path,
                            value=text[index].as_py(),
                            line_no=first + index,
                            source_line=lines[index],
                            hint=f"correct {field.name} so that it follows the upstream XSD",
                        )
                    )
        if found:
            found.sort(key=lambda v: v.line_no or 0)
            return None, found
        return build_batch(kind, self.schema, self.header.file_id, first, texts, pa.array(lines, pa.int32())), []

    def _diagnose(self, truncated: bool = False) -> FileRejected:
        """Second pass, only for a structurally invalid file: validate each element against the full XSD to
        name the XML line and element (libxml2's streaming validation reports no line numbers).

        ``truncated``: the first pass ended without seeing the end of the root element (a file cut short); the
        reason says so, whatever libxml2 calls the point where the bytes stop."""
        kind = self.kind
        item_tag = kind.qname(kind.item)
        violations: list[Violation] = []
        total = 0
        position = 0

        def add(violation: Violation) -> None:
            nonlocal total
            total += 1
            if len(violations) < MAX_VIOLATIONS:
                violations.append(violation)

        context = etree.iterparse(str(self.path), events=("end",), **parser_options())
        try:
            for _event, element in context:
                parent = element.getparent()
                if parent is None:
                    _check_root_content(element, item_tag, add)
                    continue
                if parent.getparent() is not None:
                    continue  # inside an item: validated with the item
                if element.tag != item_tag:
                    add(_structure(f"unexpected element {element.tag} under the root", element, None, kind))
                else:
                    position += 1
                    depth = 1 + max(sum(1 for _ in node.iterancestors()) for node in element.iter())
                    if depth > self.limits.max_depth:
                        add(
                            Violation(
                                rule="max-depth",
                                message=f"element nested {depth} levels deep, above the limit of "
                                f"{self.limits.max_depth}",
                                line_no=position,
                                source_line=element.sourceline,
                                hint="upstream elements are at most 4 levels deep; fix the producer",
                            )
                        )
                        break
                    if not kind.schema.validate(element):
                        for entry in kind.schema.error_log:
                            add(_structure(entry.message, element, position, kind, entry.line))
                    if element.tail and element.tail.strip():
                        add(_structure("text between elements", element, position, kind))
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as error:
            rejected = parse_error(self.path, error, self.limits)
            if truncated and rejected.category == "malformed":
                rejected = FileRejected("malformed", [self._truncation(str(error.msg or error), error.lineno)])
            return FileRejected(rejected.category, rejected.violations + violations[: MAX_VIOLATIONS - 1])
        if truncated:  # pragma: no cover - libxml2 without a schema always refuses a document that stops early
            return FileRejected("malformed", [self._truncation("no end tag", None), *violations][:MAX_VIOLATIONS])
        if not violations:
            add(_structure("the file does not follow the XSD (no line could be named)", None, None, kind))
        return FileRejected("schema", violations, total)

    def _truncation(self, detail: str, line: int | None) -> Violation:
        root = self.kind.root
        return Violation(
            rule="well-formed",
            message=f"not well-formed XML: the file ends before the end tag </{root}> of its root element, it "
            f"was cut short ({detail})",
            field=root,
            source_line=line or None,
            hint="have SPP IS send the complete file again (its fileId was not consumed), or complete it here and "
            "replay it",
        )


_ROOT_ATTRIBUTES = {"fileId", "createdAt"}
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def _check_root_content(root: etree._Element, item_tag: str, add) -> None:
    if root.text and root.text.strip():
        add(_structure("text directly inside the root element", root, None, None))
    for name in root.attrib:
        if name not in _ROOT_ATTRIBUTES and not name.startswith(_XSI):
            add(_structure(f"attribute {name} is not allowed on the root element", root, None, None))


_ELEMENT = re.compile(r"Element '\{[^}]*\}(\w+)'")


def _structure(message: str, element, position: int | None, kind: Kind | None, line: int | None = None) -> Violation:
    match = _ELEMENT.search(message)
    return Violation(
        rule="schema",
        message=message,
        field=match.group(1) if match else (etree.QName(element).localname if element is not None else None),
        line_no=position,
        source_line=line or (element.sourceline if element is not None else None),
        hint="make the element follow the upstream XSD (ingest/xsd/): order, names, namespace, no extra content",
    )

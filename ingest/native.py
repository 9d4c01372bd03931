"""The ingest's fast path for good files: libxml2 validates the structure, native code extracts the values.

Why: the detailed parser (:mod:`ingest.parser`) spends most of a line in Python (the proxies and texts of a
``<line>``'s fifteen nodes) and in a tree that libxml2 builds only to be cleared. Here nothing per element runs
in Python and no tree is built:

1. **the gate**, first on every byte: the hostile-XML refusals of :mod:`ingest.security` (``precheck``, done by
   ``read_header`` before this runs), then libxml2's streaming validation of the *structural* XSD (derived from
   the upstream XSD, see :meth:`ingest.schemas.Kind.structural_xsd`) through lxml's own libxml2 (its exported C
   API, called with ``ctypes``): a push parser whose SAX handler does nothing but validate, fed the file in 1 MB
   chunks, with no DTD loading, no entity substitution, no network, libxml2's default limits;
2. **a byte scan** of the same chunks, which refuses any ``&`` (entity and character references), ``<!``
   (DOCTYPE, comments, CDATA), ``<?`` after the XML declaration and any carriage return. What remains is elements,
   attributes and plain text, which every XML reader reads alike (libxml2 normalises line ends and resolves
   references; the extractor might not), and in which there is nothing an extractor could expand or fetch;
3. **extraction** with ``xml2arrow`` (Rust) into Arrow string columns; it reads the file only through a pipe
   (:class:`_GatedPipe`), written with each chunk only after the scan and the gate have accepted it, up to the
   chunk's last complete tag; so it is never handed a DTD, an entity, a comment, CDATA or a processing instruction,
   and what it reads of a file that the gate then refuses is discarded;
4. the same XSD value checks and the same conversion as the detailed parser (:func:`ingest.parser.build_batch`).

Any doubt abandons the fast path (:class:`Abandoned`), never rejects a file: a structure or value error, a
missing required value, a byte the scan refuses, an error of the extractor, a file changed since it was hashed,
a libxml2 or an xml2arrow that cannot be found. The reader (:mod:`ingest.reader`) then reads that file with the
detailed parser, whose verdict and messages (file, line number, field) are the ones of record. Bad files are rare,
so they pay twice.

The gate's schema also requires every element value to be non-empty (``xml2arrow`` reads ``<x/>`` as absent):
the upstream XSDs refuse empty values for every element (asserted at import below), so this refuses nothing the
detailed parser would accept, and a null column value means an absent element.

Line numbers of the XML are not computed here (``source_line`` is 0): a fast-path file that breaks a business
rule is read again with the detailed parser by the reader before its reason is written.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import select
import tempfile
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from ingest.parser import SOURCE_LINE, UpstreamFile, build_batch
from ingest.schemas import KINDS, Kind
from kernel.xsd import COMPILING

CHUNK_BYTES = 1 << 20  # what the gate is fed at a time
FIRST_CHUNK_BYTES = 4096  # at least, for the first: an XML declaration longer than that is abandoned

# libxml2 parser options (parser.h): no network, no XXE; never NOENT (substitute entities) nor DTDLOAD
XML_PARSE_NONET = 1 << 11
XML_PARSE_NO_XXE = 1 << 23
XML_SAX2_MAGIC = 0xDEEDBEAF
_SAX_POINTERS_BEFORE_MAGIC = 27  # xmlSAXHandler: 27 callbacks, then ``initialized`` (libxml2 2.9 to 2.14)
_SAX_HANDLER_BYTES = 256


class Abandoned(Exception):
    """The fast path cannot vouch for this file: read it with the detailed parser instead (not a rejection)."""


def enabled() -> bool:
    """``LWW_INGEST_NATIVE=0`` reads every file with the detailed parser (benchmarks, comparisons)."""
    return os.environ.get("LWW_INGEST_NATIVE", "1") != "0"


_ERROR_FUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_IGNORE_ERROR = _ERROR_FUNC(lambda _data, _error: None)  # errors only mean "abandon"; the detailed pass names them


class _Libxml2:
    """The few libxml2 functions the gate needs, from the libxml2 inside lxml (pinned with lxml)."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(etree.__file__)
        p, i = ctypes.c_void_p, ctypes.c_int
        self.lib = lib
        for name, restype, argtypes in (
            ("xmlSchemaNewMemParserCtxt", p, [ctypes.c_char_p, i]),
            ("xmlSchemaSetParserStructuredErrors", None, [p, _ERROR_FUNC, p]),
            ("xmlSchemaParse", p, [p]),
            ("xmlSchemaFreeParserCtxt", None, [p]),
            ("xmlSchemaNewValidCtxt", p, [p]),
            ("xmlSchemaSetValidStructuredErrors", None, [p, _ERROR_FUNC, p]),
            ("xmlSchemaFreeValidCtxt", None, [p]),
            ("xmlSchemaSAXPlug", p, [p, ctypes.POINTER(p), ctypes.POINTER(p)]),
            ("xmlSchemaSAXUnplug", i, [p]),
            ("xmlSchemaIsValid", i, [p]),
            ("xmlCreatePushParserCtxt", p, [p, p, ctypes.c_char_p, i, ctypes.c_char_p]),
            ("xmlCtxtSetOptions", i, [p, i]),
            ("xmlCtxtSetErrorHandler", None, [p, _ERROR_FUNC, p]),
            ("xmlParseChunk", i, [p, ctypes.c_char_p, i, i]),
            ("xmlFreeParserCtxt", None, [p]),
        ):
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
        if etree.LIBXML_VERSION[:2] < (2, 9) or etree.LIBXML_VERSION[0] > 2:
            raise OSError(f"libxml2 {etree.LIBXML_VERSION}: the SAX handler layout is unknown")

    def compile(self, xsd: bytes) -> int:
        parser = self.lib.xmlSchemaNewMemParserCtxt(xsd, len(xsd))
        self.lib.xmlSchemaSetParserStructuredErrors(parser, _IGNORE_ERROR, None)
        try:
            with COMPILING:  # libxml2's first compilation in a process must not run beside another
                schema = self.lib.xmlSchemaParse(parser)
        finally:
            self.lib.xmlSchemaFreeParserCtxt(parser)
        if not schema:
            raise OSError("libxml2 could not compile the structural schema")
        return schema


@cache
def _libxml2() -> _Libxml2 | None:
    try:
        return _Libxml2()
    except (OSError, AttributeError):  # pragma: no cover - an lxml built without its libxml2 symbols exported
        return None


@cache
def _gate_schema(kind_name: str) -> int:
    """The compiled non-empty structural schema of a kind (kept for the life of the process)."""
    kind = KINDS[kind_name]
    return _libxml2().compile(etree.tostring(kind.structural_xsd(non_empty=True)))


class _Gate:
    """One file's streaming structural validation: a libxml2 push parser with a validating, tree-less SAX."""

    def __init__(self, kind: Kind, name: str) -> None:
        libxml2 = _libxml2()
        if libxml2 is None:  # pragma: no cover
            raise Abandoned("lxml's libxml2 is not reachable")
        self.lib = libxml2.lib
        self.root = kind.root
        self.valid = self.lib.xmlSchemaNewValidCtxt(_gate_schema(kind.name))
        self.lib.xmlSchemaSetValidStructuredErrors(self.valid, _IGNORE_ERROR, None)
        self.sax = ctypes.create_string_buffer(_SAX_HANDLER_BYTES)  # every callback NULL: no tree, no copy
        ctypes.c_uint.from_buffer(
            self.sax, _SAX_POINTERS_BEFORE_MAGIC * ctypes.sizeof(ctypes.c_void_p)
        ).value = XML_SAX2_MAGIC
        # the plug swaps these two pointers, and writes them back when unplugged: they live as long as the gate
        self.sax_pointer, self.user_pointer = ctypes.c_void_p(ctypes.addressof(self.sax)), ctypes.c_void_p(None)
        self.plug = self.lib.xmlSchemaSAXPlug(
            self.valid, ctypes.byref(self.sax_pointer), ctypes.byref(self.user_pointer)
        )
        self.parser = self.lib.xmlCreatePushParserCtxt(self.sax_pointer, self.user_pointer, None, 0, os.fsencode(name))
        if not self.plug or not self.parser:  # pragma: no cover
            self.free()
            raise Abandoned("libxml2 could not start a validating parser")
        self.lib.xmlCtxtSetErrorHandler(self.parser, _IGNORE_ERROR, None)
        self.lib.xmlCtxtSetOptions(self.parser, XML_PARSE_NONET | XML_PARSE_NO_XXE)
        self.lock = threading.Lock()

    def feed(self, data: bytes, last: bool = False) -> None:
        with self.lock:
            if self.parser is None:
                raise Abandoned("gate closed")
            if self.lib.xmlParseChunk(self.parser, data, len(data), int(last)) != 0:
                raise Abandoned("not well-formed")
            if self.lib.xmlSchemaIsValid(self.valid) != 1:
                raise Abandoned("does not follow the structural schema")

    def free(self) -> None:
        with self.lock:
            if self.plug:  # first, as libxml2's own xmlSchemaValidateStream does
                self.lib.xmlSchemaSAXUnplug(self.plug)
            if self.parser:
                self.lib.xmlFreeParserCtxt(self.parser)
            if self.valid:
                self.lib.xmlSchemaFreeValidCtxt(self.valid)
            self.parser = self.plug = self.valid = None


class _GatedPipe:
    """The file as the extractor reads it: a pipe, written by a thread that hands over each 1 MB chunk only after
    the byte scan and the gate have accepted it, and hashes it (sha-256) on the way, so that the hash and the
    loaded lines come from the same bytes. The extractor opens the pipe's read end by path and reads it natively
    (a Python ``read()`` per 8 KB costs more than the extraction).

    A chunk is handed over up to its last ``>`` only (the rest with the next one): a push parser may wait for
    more bytes to judge an unfinished token, and the extractor is handed no byte before the gate has seen the token
    it belongs to whole. When the gate refuses, the thread stops writing and closes the pipe: the extractor sees
    the data end early, and :meth:`outcome` says why. ``stop()`` ends the thread when the reading is abandoned
    from the other side.
    """

    def __init__(self, path: Path, gate: _Gate) -> None:
        self.gate = gate
        self.path = path
        self.sha = hashlib.sha256()
        self.error: BaseException | None = None
        self.finished = False
        self.stopping = threading.Event()
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.write_end, False)
        self.thread = threading.Thread(target=self._run, name="lww-ingest-gate", daemon=True)
        self.thread.start()

    @property
    def source(self) -> str:
        return f"/dev/fd/{self.read_end}"

    def _run(self) -> None:
        try:
            with self.path.open("rb") as file:
                first = True
                previous_last = b""
                tail = b""  # the file's last bytes: its last tag must end the root element
                held = b""  # the end of the last chunk after its last '>': a token libxml2 may not have judged yet
                # the first chunk holds the whole XML declaration (the scan allows '<?' only there)
                while data := file.read(max(CHUNK_BYTES, FIRST_CHUNK_BYTES) if first else CHUNK_BYTES):
                    _scan(data, first, previous_last)
                    first, previous_last = False, data[-1:]
                    self.sha.update(data)
                    tail = (tail + data[-TAIL_BYTES:])[-TAIL_BYTES:]
                    self.gate.feed(data)
                    cut = data.rfind(b">") + 1
                    if cut:
                        self._write(memoryview(held + data[:cut]) if held else memoryview(data)[:cut])
                        held = data[cut:]
                    else:
                        held += data
                self.gate.feed(b"", last=True)
                _check_complete(tail, self.gate.root)
                self._write(memoryview(held))
                self.finished = True
        except BaseException as error:  # reported by outcome(), in the reading thread
            self.error = error
        finally:
            os.close(self.write_end)

    def _write(self, view: memoryview) -> None:
        while view:
            if self.stopping.is_set():
                raise Abandoned("stopped")
            try:
                view = view[os.write(self.write_end, view) :]
            except BlockingIOError:
                select.select([], [self.write_end], [], 0.1)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        os.close(self.read_end)

    def outcome(self) -> None:
        """After the extractor's end: raise :class:`Abandoned` unless the whole file passed the gate."""
        self.thread.join()
        if self.error is not None:
            raise Abandoned(f"gate: {self.error}") from None
        if not self.finished:  # pragma: no cover - the thread ends only by finishing or by an error
            raise Abandoned("gate did not finish")


TAIL_BYTES = 4096  # a last tag longer than that (a self-closing root with huge attributes) is abandoned


def _check_complete(tail: bytes, root: str) -> None:
    """Abandon unless the file's last tag ends its root element: ``</root>`` (prefixed or not), or the root's
    own start tag closed by ``/>`` (an empty file), followed by nothing but whitespace. What may follow the root
    in XML besides whitespace (comments, processing instructions) never passes the scan. The gate refuses a
    document that stops early by itself; this check does not depend on it (a truncated file must never load)."""
    name = re.escape(root.encode())
    last = tail.rfind(b"<")
    if last < 0 or not re.fullmatch(
        rb"<(?:/(?:[\w.-]+:)?%s\s*|(?:[\w.-]+:)?%s(?:\s[^<]*)?/)>\s*" % (name, name), tail[last:]
    ):
        raise Abandoned(f"the file does not end with the end of its root element {root}")


def _scan(data: bytes, first: bool, previous_last: bytes) -> None:
    """Refuse (abandon) what plain elements, attributes and text never contain; see the module's docstring."""
    start = 0
    if first:
        if data.startswith(b"\xef\xbb\xbf"):
            start = 3
        if data.startswith(b"<?xml", start):
            start = data.find(b"?>", start) + 2
            if start == 1:
                raise Abandoned("XML declaration not closed in the first chunk")
    if previous_last == b"<" and data[:1] in (b"!", b"?"):
        raise Abandoned("markup declaration, comment, CDATA or processing instruction")
    # one-byte searches run at memory speed; the two-byte ones only where their rare second byte occurs
    for needle, rare in ((b"&", None), (b"\r", None), (b"<!", b"!"), (b"<?", b"?")):
        if rare is not None and data.find(rare, start) < 0:
            continue
        if data.find(needle, start) >= 0:
            raise Abandoned(f"{needle!r} in the file: read by the detailed parser")


@cache
def _extractor(kind_name: str):
    """An ``xml2arrow`` parser for a kind: one string column per field of the XSD, every one nullable (a
    missing required value is checked here), whitespace kept as the XSD's types say."""
    from xml2arrow import XmlToArrowParser

    kind = KINDS[kind_name]
    lines = [
        "parser_options:\n  trim_text: false\ntables:\n",
        f"  - name: items\n    xml_path: /{kind.root}\n    levels: []\n    fields:\n",
    ]
    for field in kind.fields:
        lines.append(
            f"      - name: {field.column}\n        xml_path: /{kind.root}/{kind.item}/{field.path}\n"
            "        data_type: Utf8\n        nullable: true\n"
        )
    handle, name = tempfile.mkstemp(prefix="lww-xml2arrow-", suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write("".join(lines))
        return XmlToArrowParser(name)  # the configuration is compiled here; the file is not read again
    finally:
        os.unlink(name)


def _check_kinds() -> None:
    """The non-empty gate refuses nothing the XSD accepts: every element value type refuses ''."""
    for kind in KINDS.values():
        for field in kind.fields:
            if field.value_type.check(pa.array([""], pa.string()))[0].as_py():
                raise RuntimeError(f"{kind.name}: {field.path} accepts an empty value: the native gate would not")


_check_kinds()


class NativeRead:
    """One file read by the fast path: ``batches()`` yields the raw batches (``source_line`` 0), then
    ``sha256`` holds the hash of the bytes read. Raises :class:`Abandoned`, never :class:`FileRejected`."""

    def __init__(self, upstream: UpstreamFile, batch_rows: int) -> None:
        self.upstream = upstream
        self.batch_rows = batch_rows
        self.sha256: str | None = None
        self.rows = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        upstream = self.upstream
        kind = upstream.kind
        try:
            extractor = _extractor(kind.name)
            gate = _Gate(kind, upstream.path.name)
        except Abandoned:
            raise
        except Exception as error:  # no xml2arrow, no libxml2: the detailed parser reads every file
            raise Abandoned(f"fast path unavailable: {error}") from None
        try:
            pipe = _GatedPipe(upstream.path, gate)
        except BaseException:
            gate.free()
            raise
        required = [i for i, field in enumerate(kind.fields) if not field.optional]
        names = [field.column for field in kind.fields]
        try:
            stream = extractor.parse_batches(pipe.source, max_rows_per_batch=self.batch_rows)
            for _table, batch in stream:
                if batch.schema.names != names:
                    raise Abandoned("unexpected columns from the extractor")
                texts = [batch.column(i) for i in range(batch.num_columns)]
                for index in required:
                    if texts[index].null_count:
                        raise Abandoned(f"{kind.fields[index].path} missing")
                for field, text in zip(kind.fields, texts, strict=True):
                    # every value is valid when every distinct value is (a month holds few distinct dates)
                    if not pc.all(field.value_type.check(pc.unique(text))).as_py():
                        raise Abandoned(f"a value of {field.path} breaks the XSD")
                first = self.rows + 1
                self.rows += batch.num_rows
                zeros = pa.array([0] * batch.num_rows, upstream.schema.field(SOURCE_LINE).type)
                yield build_batch(kind, upstream.schema, upstream.header.file_id, first, texts, zeros)
            pipe.outcome()  # the extractor saw the end of the pipe: the whole file must have passed the gate
        except Abandoned:
            raise
        except Exception as error:  # the extractor's own errors (an early end of the pipe among them), I/O errors
            pipe.outcome()  # a refusal of the gate is the better reason
            raise Abandoned(f"{type(error).__name__}: {error}") from None
        finally:
            stream = None  # the extractor's thread ends and closes its end of the pipe
            pipe.stop()
            gate.free()
        self.sha256 = pipe.sha.hexdigest()

"""The two upstream file kinds, read from the project's XSDs: what each element is, how it maps to a raw column,
and the checks that make a streamed file exactly as valid as the XSD says.

How a file is validated in streaming, and why this way
------------------------------------------------------
Validating a whole 1 GB document with ``XMLSchema.validate`` needs its whole tree: not acceptable. Two streaming
ways were measured (figures in ``bench/README.md``, ingest section):

- libxml2's SAX validation of the full XSD during ``iterparse`` (``schema=``): exact, flat memory, but it doubles
  the cost of the parse, mostly for the pattern facets and the date checks, which libxml2 runs one value at a
  time through its regular-expression automata;
- validating each ``<line>`` subtree with ``XMLSchema(element)``: as costly, plus a copy per element.

With the content models only (the structural schema below) libxml2's streaming validation costs a fraction of
that, and the value checks over Arrow columns, all fifteen values at once, little more.

So the validation is split along what each engine does best, and stays exactly the XSD's:

1. **structure** (element order and cardinality, namespaces, no stray elements, attributes or text) is checked by
   libxml2 in streaming against a *structural* schema derived at import from the XSD itself: the same content
   models, with the simple types of element values relaxed to ``xs:string`` (the root's attributes keep their
   types). Nothing can drift: there is one XSD;
2. **values** (patterns, enumerations, lengths, dates, decimals, integers, booleans) are checked *per batch* with
   Arrow compute kernels (RE2, vectorised), from facets read from the same XSD simple types. XSD ``\\d`` means any
   Unicode digit; here it means ``[0-9]``, stricter, which the check digits require anyway.

libxml2 reports SAX validation errors without line numbers, so when the structural pass fails a second,
diagnostic pass (only then) validates each element subtree against the full XSD to name line, element and
message. An unknown facet in the XSD fails at import, so a schema change can never silently weaken the checks.
"""

from __future__ import annotations

import copy
import itertools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from kernel.raw_tables import PAYMENT_LINES, RIGHT_EVENTS, Table
from kernel.xsd import compile_schema

XSD_DIR = Path(__file__).resolve().parent / "xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"

PAYMENTS_NS = "urn:be:fgov:mi-is:lww:payments:v1"
RIGHTS_NS = "urn:be:fgov:mi-is:lww:rights:v1"


def snake(name: str) -> str:
    """``pcsaCbeNumber`` -> ``pcsa_cbe_number``: raw columns are the XML names in snake case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class ValueType:
    """An XSD simple type of an element value, as vectorised checks and an Arrow cast."""

    name: str
    base: str  # string | date | decimal | int | boolean
    patterns: tuple[str, ...] = ()
    enumeration: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    min_inclusive: int | None = None

    def describe(self) -> str:
        parts = [f"{self.name} ({self.base}"]
        if self.enumeration:
            parts.append(f", one of {' | '.join(self.enumeration)}")
        if self.patterns:
            parts.append(f", pattern {' and '.join(self.patterns)}")
        if self.max_length is not None:
            parts.append(f", {self.min_length or 0}..{self.max_length} characters")
        return "".join(parts) + ")"

    def check(self, values: pa.Array) -> pa.Array:
        """A boolean array: True where the value is valid (absent optional values are valid)."""
        text = values if self.base == "string" else pc.utf8_trim(values, characters=" \t\r\n")
        ok = pa.array([True] * len(values), pa.bool_()) if len(values) else pa.array([], pa.bool_())
        for pattern in self.patterns:
            ok = pc.and_kleene(ok, pc.match_substring_regex(text, _re2(pattern)))
        if self.enumeration:
            ok = pc.and_kleene(ok, pc.is_in(text, value_set=pa.array(self.enumeration)))
        if self.min_length is not None:
            ok = pc.and_kleene(ok, pc.greater_equal(pc.utf8_length(text), self.min_length))
        if self.max_length is not None:
            ok = pc.and_kleene(ok, pc.less_equal(pc.utf8_length(text), self.max_length))
        if self.base == "date":
            parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
            # strptime normalises 2026-02-30 to 2026-03-02: comparing the day refuses dates that do not exist
            written_day = pc.utf8_slice_codeunits(text, 8, 10)
            written_day = pc.if_else(pc.match_substring_regex(written_day, r"^[0-9]{2}$"), written_day, "0")
            ok = pc.and_kleene(ok, pc.equal(pc.day(parsed), pc.cast(written_day, pa.int64())))
            # XSD 1.0 has no year zero
            ok = pc.and_kleene(ok, pc.not_equal(pc.utf8_slice_codeunits(text, 0, 4), "0000"))
        if self.min_inclusive is not None:
            digits = pc.if_else(pc.match_substring_regex(text, r"^[0-9]{1,9}$"), text, "0")
            ok = pc.and_kleene(ok, pc.greater_equal(pc.cast(digits, pa.int64()), self.min_inclusive))
        # a computation on a bad value may give null (strptime, casts): that is a failure, not an absence
        return pc.or_(pc.fill_null(ok, False), pc.is_null(values))

    def convert(self, values: pa.Array, arrow_type: pa.DataType) -> pa.Array:
        """The checked strings as the raw column's Arrow type (exact: decimals never pass through floats)."""
        if self.base == "string":
            return values.cast(arrow_type)
        text = pc.utf8_trim(values, characters=" \t\r\n")
        if self.base == "date":
            return pc.cast(pc.strptime(text, format="%Y-%m-%d", unit="s"), pa.date32())
        if self.base == "boolean":
            return pc.equal(text, "true")
        return text.cast(arrow_type)


def _re2(xsd_pattern: str) -> str:
    """An XSD pattern (implicitly anchored) as an anchored RE2 expression; ``\\d`` is ASCII digits."""
    return "^(?:" + xsd_pattern.replace(r"\d", "[0-9]") + ")$"


@dataclass(frozen=True)
class Field:
    """One leaf element of an item: its XML path (``period/beginDate``), raw column and value type."""

    path: str
    column: str
    value_type: ValueType
    optional: bool

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Layout:
    """One admissible shape of an item (which optional elements are present): picks values by position."""

    tags: tuple[str, ...]
    pick: Callable[[list], tuple]


@dataclass(frozen=True)
class Kind:
    """An upstream file kind: payments or rights."""

    name: str
    namespace: str
    root: str
    item: str
    table: Table
    xsd_path: Path

    def qname(self, local: str) -> str:
        return f"{{{self.namespace}}}{local}"

    @cached_property
    def xsd(self) -> etree._ElementTree:
        return etree.parse(str(self.xsd_path), etree.XMLParser(resolve_entities=False, no_network=True))

    @cached_property
    def schema(self) -> etree.XMLSchema:
        """The full XSD (used whole on small documents and per element in the diagnostic pass)."""
        return compile_schema(self.xsd)

    @cached_property
    def structural_schema(self) -> etree.XMLSchema:
        """The XSD with element value types relaxed to xs:string: structure only, for libxml2's streaming pass."""
        return compile_schema(self.structural_xsd())

    def structural_xsd(self, non_empty: bool = False) -> etree._ElementTree:
        """The structural XSD document: element value types relaxed to xs:string (attribute types kept).

        ``non_empty`` also requires every element value to have at least one character: the native gate's
        variant (:mod:`ingest.native`), stricter than the XSD only where the XSD's own types already refuse an
        empty value (checked at import there), so that a value absent from the native extraction always means
        an element absent from the file.
        """
        doc = copy.deepcopy(self.xsd)
        root = doc.getroot()
        attribute_types = {a.get("type", "").split(":")[-1] for a in root.iter(f"{XS}attribute")}
        for simple in root.iter(f"{XS}simpleType"):
            if simple.get("name") in attribute_types:
                continue
            restriction = simple.find(f"{XS}restriction")
            restriction.set("base", "xs:string")
            for facet in list(restriction):
                restriction.remove(facet)
            if non_empty:
                etree.SubElement(restriction, f"{XS}minLength", value="1")
        return doc

    @cached_property
    def value_types(self) -> dict[str, ValueType]:
        return {s.get("name"): _value_type(s) for s in self.xsd.getroot().iter(f"{XS}simpleType")}

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        """The leaves of the item's content model, in document order."""
        item_decl = self._global_element(self.item)
        out: list[Field] = []
        self._walk(self._complex_type(item_decl.get("type")), "", False, out)
        columns = set(self.table.column_names)
        for field in out:
            if field.column not in columns:
                raise RuntimeError(f"{self.xsd_path.name}: element {field.path} has no column in {self.table.name}")
        return tuple(out)

    @cached_property
    def layouts(self) -> dict[tuple[str, ...], Layout]:
        """Every admissible shape of an item, keyed by the tags of ``item.iter()`` (preorder, item included)."""
        item_decl = self._global_element(self.item)
        complex_type = self._complex_type(item_decl.get("type"))
        shapes: dict[tuple[str, ...], Layout] = {}
        optional_paths = [f.path for f in self.fields if f.optional]
        for present in itertools.product((False, True), repeat=len(optional_paths)):
            keep = {p for p, flag in zip(optional_paths, present, strict=True) if flag}
            tags = [self.qname(self.item)]
            positions: dict[str, int] = {}
            self._preorder(complex_type, "", keep, tags, positions)
            missing = len(tags)  # the caller appends one None after the texts: absent values point there
            indexes = [positions.get(f.path, missing) for f in self.fields]
            shapes[tuple(tags)] = Layout(tuple(tags), operator.itemgetter(*indexes))
        return shapes

    @cached_property
    def probes(self) -> dict[int, tuple[tuple[int, ...], dict[tuple[str, ...], Layout]]]:
        """How to tell the shapes apart cheaply: by node count, then the tags at a few positions only.

        libxml2 already validates the structure against the schema while streaming, so reading every tag of
        every item again would only pay for proxies; the node count and one to three tags tell which optional
        elements are present. (A file whose structure is wrong fails validation and goes to the diagnostic
        pass, whatever shape was guessed.)
        """
        groups: dict[int, list[Layout]] = {}
        for layout in self.layouts.values():
            groups.setdefault(len(layout.tags), []).append(layout)
        probes = {}
        for length, shapes in groups.items():
            positions: list[int] = []
            while len({tuple(s.tags[i] for i in positions) for s in shapes}) < len(shapes):
                best = max(
                    range(length), key=lambda i: len({tuple(s.tags[j] for j in [*positions, i]) for s in shapes})
                )
                positions.append(best)
            probes[length] = (tuple(positions), {tuple(s.tags[i] for i in positions): s for s in shapes})
        return probes

    def _global_element(self, name: str) -> etree._Element:
        for element in self.xsd.getroot().iterchildren(f"{XS}element"):
            if element.get("name") == name:
                return element
        raise RuntimeError(f"{self.xsd_path.name} declares no global element {name}")

    def _complex_type(self, qualified: str | None) -> etree._Element | None:
        name = (qualified or "").split(":")[-1]
        for complex_type in self.xsd.getroot().iterchildren(f"{XS}complexType"):
            if complex_type.get("name") == name:
                return complex_type
        return None

    def _children(self, complex_type: etree._Element) -> list[etree._Element]:
        sequence = complex_type.find(f"{XS}sequence")
        return [] if sequence is None else list(sequence.iterchildren(f"{XS}element"))

    def _walk(self, complex_type: etree._Element, prefix: str, optional: bool, out: list[Field]) -> None:
        for element in self._children(complex_type):
            path = prefix + element.get("name")
            is_optional = optional or element.get("minOccurs") == "0"
            nested = self._complex_type(element.get("type"))
            if nested is not None:
                self._walk(nested, path + "/", is_optional, out)
            else:
                value_type = self.value_types[element.get("type").split(":")[-1]]
                out.append(Field(path, snake(element.get("name")), value_type, is_optional))

    def _preorder(
        self, complex_type: etree._Element, prefix: str, keep: set[str], tags: list[str], positions: dict[str, int]
    ) -> None:
        for element in self._children(complex_type):
            path = prefix + element.get("name")
            nested = self._complex_type(element.get("type"))
            if nested is None and element.get("minOccurs") == "0" and path not in keep:
                continue
            positions[path] = len(tags)
            tags.append(self.qname(element.get("name")))
            if nested is not None:
                self._preorder(nested, path + "/", keep, tags, positions)


_FACETS = {"pattern", "enumeration", "minLength", "maxLength", "minInclusive"}
_BASES = {"string": "string", "date": "date", "decimal": "decimal", "int": "int", "boolean": "boolean"}


def _value_type(simple: etree._Element) -> ValueType:
    restriction = simple.find(f"{XS}restriction")
    base = restriction.get("base").split(":")[-1]
    name = simple.get("name")
    if base == "dateTime":  # root attribute only: validated by libxml2 on the root
        return ValueType(name, "string")
    if base not in _BASES:
        raise RuntimeError(f"simple type {name}: base {base} has no vectorised check")
    facets: dict[str, list[str]] = {}
    for facet in restriction:
        if not isinstance(facet.tag, str):
            continue
        local = etree.QName(facet).localname
        if local not in _FACETS:
            raise RuntimeError(f"simple type {name}: facet {local} has no vectorised check")
        facets.setdefault(local, []).append(facet.get("value"))

    def one(key: str) -> int | None:
        return int(facets[key][0]) if key in facets else None

    return ValueType(
        name=name,
        base=_BASES[base],
        patterns=tuple(facets.get("pattern", ())),
        enumeration=tuple(facets.get("enumeration", ())),
        min_length=one("minLength"),
        max_length=one("maxLength"),
        min_inclusive=one("minInclusive"),
    )


PAYMENTS = Kind("payments", PAYMENTS_NS, "paymentAcceptances", "line", PAYMENT_LINES, XSD_DIR / "payments-v1.xsd")
RIGHTS = Kind("rights", RIGHTS_NS, "rightEvents", "event", RIGHT_EVENTS, XSD_DIR / "rights-v1.xsd")
KINDS = {k.name: k for k in (PAYMENTS, RIGHTS)}
KIND_BY_ROOT = {k.qname(k.root): k for k in KINDS.values()}

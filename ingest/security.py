"""Refusing hostile XML cheaply, before and while parsing.

Upstream files come from outside: an entity expansion (billion laughs), an external entity (XXE, reading a local
file or calling the network), an external DTD, a huge or absurdly nested document must cost nothing. So:

- the size is checked from ``stat`` before a byte is parsed (``Limits.max_bytes``);
- the prolog (everything before the root start tag) is scanned as bytes and any ``<!DOCTYPE`` is refused: the
  upstream schema needs no DTD, and without a DTD there are no entities to expand or resolve;
- the parser itself never loads a DTD, never resolves entities, never touches the network, keeps libxml2's
  limits (``huge_tree=False``: text nodes and depth bounded), and the file must be UTF-8 (as the contract says), so
  the byte scan cannot be dodged by another encoding;
- the nesting depth is bounded: every ``<line>``/``<event>`` must have the schema's exact shape (depth 4), so
  reading stops at the first item of another shape, and the diagnostic pass names an item deeper than
  ``Limits.max_depth``; nesting outside the items is stopped by the parser itself (libxml2 refuses more than 256
  levels without ``huge_tree``) and named in the reason.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ingest.violations import FileRejected, Violation
from kernel.settings import env_number

PROLOG_SCAN_BYTES = 64 * 1024  # an honest prolog is an XML declaration and perhaps a comment


@dataclass(frozen=True)
class Limits:
    """Configurable ceilings for one upstream file."""

    max_bytes: int = 4 * 1024**3  # a Belgian month is ~120 MB of payments; 4 GB is far beyond any real file
    max_depth: int = 16  # the schemas need 4; libxml2 itself stops at 256

    @classmethod
    def from_env(cls) -> Limits:
        """``LWW_INGEST_MAX_BYTES`` / ``LWW_INGEST_MAX_DEPTH`` override the defaults (operators, tests)."""
        return cls(
            max_bytes=env_number("LWW_INGEST_MAX_BYTES", cls.max_bytes, minimum=1),
            max_depth=env_number("LWW_INGEST_MAX_DEPTH", cls.max_depth, minimum=1),
        )


_ROOT_START = re.compile(rb"<(?![?!])")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _hostile(message: str, hint: str, rule: str = "security") -> FileRejected:
    return FileRejected("hostile", [Violation(rule=rule, message=message, hint=hint)])


def precheck(path: Path, limits: Limits) -> None:
    """Refuse symbolic links, oversized files, DTDs and non-UTF-8 encodings from the first bytes, before any
    parsing."""
    if path.is_symlink():  # never followed: it could name any file the pipeline can read
        raise _hostile(
            f"{path.name} is a symbolic link (to {os.readlink(path)}); upstream files are regular files and a "
            "link is never followed",
            "put the file itself in the inbox (or in quarantine/ in place of the link), not a link to it",
            rule="symlink",
        )
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise _hostile(
            f"file is {size} bytes, above the limit of {limits.max_bytes} bytes",
            "split the file, or raise LWW_INGEST_MAX_BYTES if the size is genuine",
            rule="max-size",
        )
    with path.open("rb") as handle:
        head = handle.read(PROLOG_SCAN_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        raise _hostile("file is not UTF-8 (UTF-16/32 byte order)", "re-export the file in UTF-8", rule="encoding")
    start = _ROOT_START.search(head)
    prolog = head if start is None else head[: start.start()]
    if _DOCTYPE.search(prolog) or _ENTITY_DECL.search(prolog):
        raise _hostile(
            "file declares a DOCTYPE (DTDs and entities are refused: XXE, entity expansion, external DTD)",
            "remove the <!DOCTYPE ...> declaration; the upstream format needs none",
            rule="doctype",
        )
    if start is None and size > len(head):
        raise _hostile(
            f"no root element in the first {PROLOG_SCAN_BYTES} bytes",
            "an upstream file starts with its root element after an optional XML declaration",
            rule="prolog",
        )
    declaration = re.match(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']", head)
    if declaration and declaration.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8", b"us-ascii"):
        raise _hostile(
            f"file declares encoding {declaration.group(1).decode()!r}; upstream files are UTF-8",
            "re-export the file in UTF-8",
            rule="encoding",
        )


def parser_options() -> dict[str, object]:
    """Options shared by every lxml parse of upstream data: no DTD, no entities, no network, no huge trees."""
    return {
        "resolve_entities": False,
        "load_dtd": False,
        "dtd_validation": False,
        "no_network": True,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
        "remove_blank_text": True,
        "encoding": "utf-8",
    }


def parse_error(path: Path, error: etree.XMLSyntaxError, limits: Limits) -> FileRejected:
    """A libxml2 error as a violation; depth and entity errors are named as hostile, the rest as malformed."""
    # only ever called for parses without a schema attached: with one, lxml's message and log are unreliable
    message = str(error.msg or error)
    line = error.lineno or None
    lowered = message.lower()
    if "depth" in lowered:
        return FileRejected(
            "hostile",
            [
                Violation(
                    rule="max-depth",
                    message=f"document nested deeper than the parser allows (256 levels): {message}",
                    source_line=line,
                    hint="upstream elements are at most 4 levels deep; fix the producer",
                )
            ],
        )
    category = "hostile" if "entity" in lowered else "malformed"
    return FileRejected(
        category,
        [
            Violation(
                rule="well-formed",
                message=f"not well-formed XML: {message}",
                source_line=line,
                hint=f"fix the XML of {path.name} at that line (an unescaped '&' or '<', a missing end tag, ...)",
            )
        ],
    )

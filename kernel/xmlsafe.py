"""Parsing of untrusted XML: no DTD, no entities, no network, bounded size.

A request that declares a DOCTYPE is refused outright (SOAP 1.1 forbids DTDs in messages), before lxml sees it
when the prolog is visible in the bytes, and again after parsing (for encodings that hide it from a byte scan).
Entities are never resolved, so neither an external entity (XXE) nor an expansion bomb can do harm.
"""

from __future__ import annotations

import threading

from lxml import etree


class UnsafeXml(ValueError):
    """The body is not well-formed, or uses what a SOAP message must not (DTD, entities)."""


_local = threading.local()


def _parser() -> etree.XMLParser:
    # Parsers are not thread-safe: one per thread.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            remove_blank_text=True,  # indentation between elements: answers echo parts of the request as is
        )
        _local.parser = parser
    return parser


def parse(body: bytes) -> etree._Element:
    """The root element of ``body``, or :class:`UnsafeXml` saying why it is refused."""
    if not body.strip():
        raise UnsafeXml("empty body: a SOAP envelope is expected")
    head = body[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in body:
        raise UnsafeXml("DOCTYPE and entity declarations are not allowed in a SOAP message")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as error:
        raise UnsafeXml(f"not well-formed XML: {error}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXml("DOCTYPE and entity declarations are not allowed in a SOAP message")
    for _ in root.iter(etree.Entity):
        raise UnsafeXml("entity references are not allowed in a SOAP message")
    return root

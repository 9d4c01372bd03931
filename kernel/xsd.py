"""Compiling XML Schemas in a process that has threads.

libxml2 sets up its table of built-in XSD types the first time a schema is compiled, without a lock. Two threads
compiling their first schemas at once can both fail ("Document is not valid XML Schema"), and can leave the table
broken for the rest of the process: every later compilation then fails with "the given type is not a built-in
type" (seen in the service: a worker whose first requests arrived together answered every later one with an
internal error). Every compilation goes through :data:`COMPILING`, lxml's and the ingest gate's own.
"""

from __future__ import annotations

import threading

from lxml import etree

COMPILING = threading.Lock()  # held while libxml2 compiles a schema, whoever asks


def compile_schema(document: etree._ElementTree | etree._Element) -> etree.XMLSchema:
    """``etree.XMLSchema(document)``, one compilation at a time in this process."""
    with COMPILING:
        return etree.XMLSchema(document)

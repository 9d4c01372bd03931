"""The per-person index files of a snapshot: part of the published protocol (``kernel.snapshots``).

``codec`` (how a column is stored and read back), ``person`` (the rows of one query by person), ``layout`` (which
indexes, their columns declared once, and the questions they answer), ``files`` (building a snapshot's index
files into a folder, describing them with their checksums, and verifying them against the snapshot). The
publication builds and verifies them beside the snapshot it stages; the service opens them (``service.index``).
"""

from kernel.index.layout import AMOUNT, INDEXES, AmountColumns, AmountsIndex, IntegrationsIndex, RightsIndex
from kernel.index.person import PersonIndex

__all__ = ["AMOUNT", "INDEXES", "AmountColumns", "AmountsIndex", "IntegrationsIndex", "PersonIndex", "RightsIndex"]

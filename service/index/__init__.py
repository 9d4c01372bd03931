"""The per-person indexes a snapshot is answered from.

``codec`` (how a column is stored and read back), ``person`` (the rows of one query by person), ``layout`` (which
indexes, their columns declared once, and the questions they answer), ``cache`` (the index files, built once per
snapshot under a lock and memory-mapped by every worker process).
"""

from service.index.cache import IndexCache, load_memory_limit
from service.index.layout import AMOUNT, INDEXES, AmountColumns, AmountsIndex, IntegrationsIndex, RightsIndex
from service.index.person import PersonIndex

__all__ = [
    "AMOUNT",
    "INDEXES",
    "AmountColumns",
    "AmountsIndex",
    "IndexCache",
    "IntegrationsIndex",
    "PersonIndex",
    "RightsIndex",
    "load_memory_limit",
]

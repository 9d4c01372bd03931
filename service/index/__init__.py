"""The service's side of the per-person indexes a snapshot is answered from.

The indexes themselves (their layout, codec and files) are part of the published protocol, in ``kernel.index``:
the publication builds them with the snapshot. ``cache`` opens the ones published with a snapshot, or builds them
once for a snapshot published without them; the names the service's code asks for are re-exported here.
"""

from kernel.index import AMOUNT, INDEXES, AmountColumns, AmountsIndex, IntegrationsIndex, PersonIndex, RightsIndex
from service.index.cache import IndexCache, load_memory_limit

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

"""The synthetic upstream: what SPP IS would send (payments and rights XML) and the reference data (CSV).

It shares only ``kernel`` with the rest of the system; nothing else imports it, and the ingest does not know
it exists. Every rule of DOMAIN.md has to be exercised by its output, so later parts are tested on real shapes.

    from simulator import SimulationConfig, simulate, write_raw
    summary = simulate(SimulationConfig(seed=7), settings())       # XML + CSV into LWW_HOME
    summary = write_raw(SimulationConfig(scale="belgium"), path)    # straight into the raw tables
"""

from simulator.config import SimulationConfig
from simulator.run import Summary, simulate, write_raw, write_split

__all__ = ["SimulationConfig", "Summary", "simulate", "write_raw", "write_split"]

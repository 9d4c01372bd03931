"""What one published snapshot costs the service: time to build its per-person index files (or open them), and
memory.

    nice -n 10 .venv/bin/python -m bench.service_load LWW_HOME

Runs the service's own loader (``service.snapshot_store.open_snapshot``) on the current snapshot of LWW_HOME, read-only
(index files under ``$LWW_HOME/service-cache/indexes``, built if missing), and reports the wall time, the
process's resident memory before and after (the files are memory-mapped: pages count once touched), the peak,
and the rows of each index.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from kernel import snapshots
from kernel.settings import settings
from service.index import IndexCache
from service.snapshot_store import open_snapshot


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home")
    args = parser.parse_args()
    snapshot = snapshots.current(settings(args.home).published)
    if snapshot is None:
        print(f"no published snapshot under {args.home}")
        return 1
    before = rss_mb()
    started = time.perf_counter()
    home = settings(args.home)
    loaded = open_snapshot(snapshot, IndexCache(home.service_cache / "indexes", home.published))
    seconds = time.perf_counter() - started
    gc.collect()
    print(f"snapshot {snapshot.refresh_id} ({snapshot.path.stat().st_size / 1e9:.2f} GB on disk)")
    for key, index in loaded.indexes.items():
        print(f"  {key!s:>28}: {len(index):>11,} rows, {len(index.people):>9,} people")
    print(f"load {seconds:.1f} s; RSS {before:.0f} MB before, {rss_mb():.0f} MB after, peak {hwm_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

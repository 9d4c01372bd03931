"""Every path of the system, resolved from ``LWW_HOME`` (default: ``data/`` under the project root).

One place decides where things live, so no module hops ``../..`` or writes into the current directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kernel.errors import LwwError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"


@dataclass(frozen=True)
class Settings:
    """The working folders under one home. Build it with :func:`settings` (reads the environment)."""

    home: Path

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def payments_inbox(self) -> Path:
        return self.inbox / "payments"

    @property
    def rights_inbox(self) -> Path:
        return self.inbox / "rights"

    @property
    def reference(self) -> Path:
        return self.home / "reference"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def archive(self) -> Path:
        """Upstream files once loaded (by kind and reporting month): the inbox holds only what is new."""
        return self.home / "archive"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse(self) -> Path:
        """The one read-write DuckDB file: written by pipeline runs only."""
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def warehouse_lock(self) -> Path:
        return self.warehouse_dir / "warehouse.lock"

    @property
    def published(self) -> Path:
        """Read-only snapshots and the ``CURRENT`` pointer."""
        return self.home / "published"

    @property
    def audit(self) -> Path:
        """The consultation service's append-only audit log (JSON lines, rotated)."""
        return self.home / "audit"

    @property
    def service_cache(self) -> Path:
        """The consultation service's own files derived from published snapshots (their index files)."""
        return self.home / "service-cache"

    @property
    def notifications(self) -> Path:
        return self.home / "notifications"

    @property
    def extracts(self) -> Path:
        """The periodic extracts (CONTRACT §7): released files, their GO files and the manifest."""
        return self.home / "extracts"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def dbt_target(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def spark_dir(self) -> Path:
        """The Spark engine's working folder (LWW_ENGINE=spark): its tables and metastore, the raw tables as
        Parquet files, the marts it exports (dagster_project/engines/spark.py). ``LWW_SPARK_DIR`` moves it to a
        folder a Spark cluster also sees (README, "Spark")."""
        chosen = os.environ.get("LWW_SPARK_DIR", "").strip()
        return Path(chosen).expanduser().resolve() if chosen else self.warehouse_dir / "spark"

    def ensure(self) -> Settings:
        """Create the working folders (idempotent) and return self."""
        for path in (
            self.payments_inbox,
            self.rights_inbox,
            self.reference,
            self.quarantine,
            self.archive,
            self.warehouse_dir,
            self.published,
            self.audit,
            self.notifications,
            self.dagster_home,
            self.logs,
        ):
            path.mkdir(parents=True, exist_ok=True)
        return self


def settings(home: str | os.PathLike[str] | None = None) -> Settings:
    """Settings for ``home``, else ``$LWW_HOME``, else ``<project>/data``; always an absolute path."""
    chosen = home if home is not None else os.environ.get("LWW_HOME") or PROJECT_ROOT / "data"
    return Settings(home=Path(chosen).expanduser().resolve())


def env_number(name: str, default: int | float, *, minimum: int | float | None = None) -> int | float:
    """The number in the environment variable ``name`` (``default`` when unset or empty), of ``default``'s type.

    A value that is not such a number, or is below ``minimum``, is an :class:`LwwError` naming the variable: a
    typo in a setting stops the command that reads it, with the reason, not deep inside a worker process."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    kind, expected = (int, "a whole number") if isinstance(default, int) else (float, "a number")
    try:
        value = kind(raw)
    except ValueError:
        raise LwwError(f"{name}={raw!r}: expected {expected}") from None
    if minimum is not None and value < minimum:
        raise LwwError(f"{name}={raw!r}: expected {expected}, {minimum} or more")
    return value


def keep_snapshots() -> int:
    """How many published snapshots to keep (``LWW_KEEP_SNAPSHOTS``, default 6)."""
    return env_number("LWW_KEEP_SNAPSHOTS", 6, minimum=0)

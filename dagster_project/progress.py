"""What a refresh did, counted from its Dagster events as they come: the phase it is in, the files loaded and
quarantined, the rows added, the dbt models built, the checks passed, failed and warned.

The runner feeds every event of its run to a :class:`RefreshTally` (live, through an instance event listener),
so ``lww refresh`` can show progress while the run goes and sum it up at the end without reading the log again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from dagster_project.failures import step_of
from dagster_project.keys import AUDIT_LOG, PAYMENT_LINES, RIGHT_EVENTS

DBT_STEP = "warehouse_models"
INGEST_FILES_STEP = "upstream_files"
QUARANTINE_CHECK = "no_file_quarantined"
# Rows added: the ingest asset, the entry of its metadata that counts them, the words for them.
ROWS = {
    PAYMENT_LINES: ("lines", "payment lines"),
    RIGHT_EVENTS: ("events", "right events"),
    AUDIT_LOG: ("records_added", "consultation records"),
}


@dataclass(frozen=True)
class Quarantined:
    name: str
    reason: str  # the first line of why it was refused

    @property
    def hint(self) -> str:
        return f"fix it in place, then `lww replay {self.name}`"


@dataclass
class RefreshTally:
    models_total: int = 0  # the dbt models of the job
    phase: str = "starting"  # ingest, dbt, checks, publish
    models_done: int = 0
    files_loaded: int | None = None  # None until the upstream files were ingested
    files_skipped: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    added: dict[dg.AssetKey, int] = field(default_factory=dict)  # rows added, by ingest asset
    checks_passed: int = 0
    checks_failed: int = 0
    checks_warned: int = 0

    def add(self, event: dg.DagsterEvent) -> bool:
        """Count one event; True when something shown changed."""
        kind = event.event_type_value
        if kind == "STEP_START":
            phase = step_of(event.step_key or "")
            changed, self.phase = phase != self.phase, phase
            return changed
        if kind == "ASSET_MATERIALIZATION":
            return self._materialized(event)
        if kind == "ASSET_CHECK_EVALUATION":
            return self._checked(event.event_specific_data)
        return False

    def _materialized(self, event: dg.DagsterEvent) -> bool:
        if event.step_key == DBT_STEP:
            self.models_done += 1
            return True
        metadata = event.event_specific_data.materialization.metadata
        if event.step_key == INGEST_FILES_STEP and "files_loaded" in metadata:
            self.files_loaded = _number(metadata["files_loaded"])
            self.files_skipped = _number(metadata.get("files_skipped"))
        entry, _ = ROWS.get(event.asset_key, (None, None))
        if entry in metadata:  # a run over several months repeats the same figures for each partition: set, not add
            self.added[event.asset_key] = _number(metadata[entry])
        return True

    def _checked(self, evaluation) -> bool:
        if evaluation.passed:
            self.checks_passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            self.checks_warned += 1
        else:
            self.checks_failed += 1
        if evaluation.check_name == QUARANTINE_CHECK and not evaluation.passed:
            files = evaluation.metadata.get("files")
            self.quarantined = quarantined_from(files.value if files is not None else "")
        return True

    def status(self) -> str:
        """One short line: where the run is and what it has done so far."""
        parts = [self.phase]
        if self.files_loaded is not None:
            parts.append(f"files {self.files_loaded} loaded, {len(self.quarantined)} quarantined")
        if self.models_total and (self.phase == "dbt" or self.models_done):
            parts.append(f"dbt models {self.models_done} of {self.models_total}")
        if self.checks_passed or self.checks_failed or self.checks_warned:
            parts.append(self.checks_line())
        return " · ".join(parts)

    def checks_line(self) -> str:
        return f"checks {self.checks_passed} passed, {self.checks_failed} failed, {self.checks_warned} warned"

    @property
    def rows(self) -> dict[str, int]:
        """Rows added by this run, by what they are."""
        return {words: self.added.get(key, 0) for key, (_, words) in ROWS.items()}

    def rows_line(self) -> str:
        return ", ".join(f"{n} {words}" for words, n in self.rows.items())


def quarantined_from(markdown: str) -> list[Quarantined]:
    """The files of the quarantine check's metadata: one ``- <name>: <reason>`` line each."""
    found = []
    for line in markdown.splitlines():
        if line.startswith("- ") and ": " in line:
            name, reason = line[2:].split(": ", 1)
            found.append(Quarantined(name.strip(), reason.strip()))
    return found


def _number(value) -> int:
    raw = getattr(value, "value", value)
    return int(raw) if isinstance(raw, (int, float)) else 0

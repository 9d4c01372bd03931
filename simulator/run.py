"""Running a simulation: population, then month after month the payments and rights files, then reference.

The same generator feeds both outputs (XML + CSV into LWW_HOME, or rows into the raw tables), so they agree.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from kernel.settings import Settings
from simulator.config import Resolved, SimulationConfig
from simulator.days import month_date, month_index
from simulator.files import Lookups, UpstreamFile, payment_files, right_files
from simulator.payments import by_acceptance_month
from simulator.pcsa import select_pcsa, weights
from simulator.reference import Reference, build_reference, describe, write_reference
from simulator.rights import right_events, right_ids
from simulator.spells import Population, build_population


@dataclass
class Summary:
    first_month: str
    last_month: str
    pcsa: int
    files: int = 0
    lines: int = 0
    events: int = 0
    reference_rows: int = 0
    seconds: float = 0.0
    people: int = 0
    credentials: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks

    def line(self) -> str:
        return (
            f"simulated {self.first_month}..{self.last_month}: {self.files} files, {self.lines} payment lines, "
            f"{self.events} right events, {self.pcsa} CPAS, {self.reference_rows} reference rows "
            f"in {self.seconds:.1f} s"
        )


@dataclass
class _Plan:
    resolved: Resolved
    population: Population
    lookups: Lookups
    reference: Reference
    pcsa_count: int


def _plan(resolved: Resolved) -> _Plan:
    pcsa = select_pcsa(resolved.pcsa, resolved.seed)
    population = build_population(resolved, weights(pcsa))
    nis = np.array([p.nis_code for p in pcsa])
    lookups = Lookups(
        ssin=population.people.ssin,
        cbe=pa.array([p.cbe_number for p in pcsa], pa.string()),
        right_id=right_ids(population, nis),
    )
    reference = build_reference(population, pcsa, resolved.seed, resolved.first_month)
    return _Plan(resolved, population, lookups, reference, len(pcsa))


def _months(plan: _Plan) -> Iterator[tuple[int, list[UpstreamFile]]]:
    """(file month, its payments and rights files), month after month."""
    r = plan.resolved
    events = right_events(plan.population, r)
    rights = right_files(
        events, plan.population.spells, plan.lookups, r.first_month, r.last_month, r.seed, r.max_lines_per_file
    )
    for (month, lines), (rights_month, rights_files) in zip(
        by_acceptance_month(plan.population, r), rights, strict=True
    ):
        assert month == rights_month
        payments = list(payment_files(month, lines, plan.lookups, r.seed, r.max_lines_per_file))
        yield month, payments + rights_files


def _run(
    config: SimulationConfig,
    write_month: Callable[[list[UpstreamFile]], None],
    progress: bool,
) -> tuple[Summary, _Plan]:
    started = time.perf_counter()
    resolved = config.resolve()
    plan = _plan(resolved)
    planned = time.perf_counter()
    summary = Summary(
        first_month=f"{month_date(resolved.first_month):%Y-%m}",
        last_month=f"{month_date(resolved.last_month):%Y-%m}",
        pcsa=plan.pcsa_count,
        people=plan.population.people.size,
        reference_rows=plan.reference.rows,
    )
    total = resolved.last_month - resolved.first_month + 1
    bar = _progress(progress)
    with bar:
        task = bar.add_task("simulating", total=total)
        for month, files in _months(plan):
            write_month(files)
            summary.files += len(files)
            summary.lines += sum(f.table.num_rows for f in files if f.kind == "payments")
            summary.events += sum(f.table.num_rows for f in files if f.kind == "rights")
            bar.update(task, advance=1, description=f"simulating {month_date(month):%Y-%m}")
    summary.credentials = describe(plan.reference)
    summary.seconds = time.perf_counter() - started
    summary.timings = {
        "population and reference": planned - started,
        "monthly files": summary.seconds - (planned - started),
    }
    return summary, plan


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
        disable=not enabled,
    )


def simulate(config: SimulationConfig, settings: Settings, progress: bool = False) -> Summary:
    """Write the upstream XML files into the inbox and the reference CSVs; returns what was written."""
    payments_dir, rights_dir = settings.payments_inbox, settings.rights_inbox
    payments_dir.mkdir(parents=True, exist_ok=True)
    rights_dir.mkdir(parents=True, exist_ok=True)
    from simulator.xml_writer import write_xml

    def write_month(files: list[UpstreamFile]) -> None:
        for upstream in files:
            write_xml(upstream, payments_dir if upstream.kind == "payments" else rights_dir)

    summary, plan = _run(config, write_month, progress)
    before = time.perf_counter()
    write_reference(plan.reference, settings.reference)
    summary.timings["reference CSV"] = time.perf_counter() - before
    summary.seconds += summary.timings["reference CSV"]
    return summary


def write_raw(
    config: SimulationConfig, warehouse: Path, reference_folder: Path | None = None, progress: bool = False
) -> Summary:
    """Write the same lines and events straight into ``raw.*`` of ``warehouse`` (plus the ledger and the
    reference tables); the reference CSVs too when ``reference_folder`` is given (the service needs them)."""
    from simulator.raw_writer import RawWriter

    writer = RawWriter(Path(warehouse))
    try:
        checked = False

        def write_month(files: list[UpstreamFile]) -> None:
            nonlocal checked
            if not checked:
                writer.refuse_loaded([f.file_id for f in files])
                checked = True
            writer.write_files(files)

        summary, plan = _run(config, write_month, progress)
        before = time.perf_counter()
        writer.write_reference(plan.reference.tables)
        summary.timings["reference tables"] = time.perf_counter() - before
        summary.seconds += summary.timings["reference tables"]
    finally:
        writer.close()
    if reference_folder is not None:
        write_reference(plan.reference, reference_folder)
    return summary


def write_split(
    config: SimulationConfig, settings: Settings, xml_from: dt.date, progress: bool = False
) -> tuple[Summary, int]:
    """The months before ``xml_from`` straight into the raw tables of ``settings.warehouse`` (history already
    loaded), the months from ``xml_from`` on as XML in the inbox (what arrives next), and the reference CSVs.

    One population for both, so the XML months continue the loaded history exactly: what a monthly refresh
    benchmark needs. Returns the summary and the number of payment lines written as XML."""
    from simulator.raw_writer import RawWriter
    from simulator.xml_writer import write_xml

    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    settings.payments_inbox.mkdir(parents=True, exist_ok=True)
    settings.rights_inbox.mkdir(parents=True, exist_ok=True)
    first_xml = month_index(xml_from)
    writer = RawWriter(settings.warehouse)
    xml_lines = 0
    try:

        def write_month(files: list[UpstreamFile]) -> None:
            nonlocal xml_lines
            if files and files[0].month >= first_xml:
                for upstream in files:
                    payments = upstream.kind == "payments"
                    write_xml(upstream, settings.payments_inbox if payments else settings.rights_inbox)
                    xml_lines += upstream.table.num_rows if payments else 0
            else:
                writer.write_files(files)

        summary, plan = _run(config, write_month, progress)
        writer.write_reference(plan.reference.tables)
    finally:
        writer.close()
    write_reference(plan.reference, settings.reference)
    return summary, xml_lines

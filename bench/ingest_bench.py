"""Ingest benchmark: Belgian-scale monthly payment files, generated here (independent of the simulator).

Measures, on the same files:
- a bare ``iterparse`` pass (tag=line, clear, delete previous siblings: nothing else) -- the baseline, in this
  process, and the same pass over the files spread on a pool of ``--workers`` processes (wall-clock baseline of
  the parallel ingest);
- the detailed parser alone (structure + XSD value checks + Arrow batches, no database; what reads a file the
  fast path abandons);
- the fast path alone (``ingest.native``: libxml2's structural validation as the gate, ``xml2arrow`` extracting,
  the same value checks and Arrow batches), and its gate alone;
- the whole ingest (parser + staging + business rules + insert + ledger + archive) into a fresh DuckDB
  warehouse, once with one worker (each file parsed in the loading process, as before the pool) and once with
  ``--workers`` parse processes ahead of the single writer;
- ``xml2arrow`` (Rust, no validation, no security checks) over the same files;
- peak RSS of the parser and of the whole ingest on a ~100 MB and a ~1 GB file, each in its own subprocess.

CPU time is user+sys of this process plus its finished children (the parse pool, DuckDB's threads included);
wall time is what parallelism improves. Both are printed, and the ratios to the bare pass in both. Run (from the
project root):

    .venv/bin/python -m bench.ingest_bench [--months 12] [--lines 250000] [--workers 2] [--preload N] [--rss]
    .venv/bin/python -m bench.ingest_bench --rss-only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from lxml import etree

from bench import BENCH
from ingest import native
from ingest.inbox import pending_files
from ingest.loader import ingest_files
from ingest.native import NativeRead
from ingest.parser import BATCH_ROWS, UpstreamFile
from ingest.reference import load_reference
from kernel.identifiers import cbe_with_check, ssin_with_check
from kernel.settings import settings as make_settings

NS = "urn:be:fgov:mi-is:lww:payments:v1"
SCALE = {1: "876.13", 2: "1314.20", 3: "1776.07"}
XML2ARROW_CONFIG = """
parser_options:
  trim_text: true
tables:
  - name: lines
    xml_path: /paymentAcceptances
    levels: []
    fields:
"""


def population(size: int, rng: random.Random) -> list[str]:
    people = set()
    while len(people) < size:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
        serial = rng.randrange(1, 999)
        people.add(ssin_with_check(born.strftime("%y%m%d"), serial, born.year >= 2000))
    return sorted(people)


def cpas_numbers(count: int = 565) -> list[str]:
    return [cbe_with_check(2_000_000 + 37 * i) for i in range(count)]


def write_month(
    path: Path,
    month: dt.date,
    lines: int,
    people: list[str],
    cpas: list[str],
    rng: random.Random,
    previous: dict[str, tuple[str, str, str]],
) -> dict[str, tuple[str, str, str]]:
    """One monthly file: ~`lines` lines for benefit month `month`, created early the next month; ~2 % of the
    lines re-introduce a rejected line of the previous file (same person and CPAS, later decision)."""
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last_day = (nxt - dt.timedelta(days=1)).day
    stamp = month.strftime("%Y%m")
    rejected_now: dict[str, tuple[str, str, str]] = {}
    replaceable = list(previous.items())
    rng.shuffle(replaceable)
    home_cpas = {}
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<paymentAcceptances xmlns="{NS}" fileId="PAY-{stamp}" '
            f'createdAt="{nxt.isoformat()}T02:00:00Z">\n'
        )
        for n in range(lines):
            replaces = ""
            if replaceable and rng.random() < 0.02:
                old_id, (person, pcsa, _) = replaceable.pop()
                replaces = f"<replacesLineId>{old_id}</replacesLineId>"
            else:
                person = people[rng.randrange(len(people))]
                pcsa = home_cpas.setdefault(person, cpas[hash(person) % len(cpas)])
            category = rng.choice((1, 2, 2, 3))
            partner = ""
            if category == 1 and rng.random() < 0.5:
                other = people[rng.randrange(len(people))]
                if other != person:
                    partner = f"<partnerSsin>{other}</partnerSsin>"
            begin = 1 if rng.random() < 0.85 else rng.randrange(1, last_day + 1)
            amount = (
                SCALE[category]
                if begin == 1
                else f"{int(SCALE[category].replace('.', '')) * (last_day - begin + 1) // last_day / 100:.2f}"
            )
            decision = "ACCEPTED"
            code = ""
            if rng.random() < 0.03:
                decision, code = "REJECTED", f"<rejectionCode>R0{rng.randrange(1, 9)}</rejectionCode>"
            line_id = f"{stamp}-{n:07d}"
            if decision == "REJECTED" and not replaces:
                rejected_now[line_id] = (person, pcsa, month.isoformat())
            out.write(
                f"  <line>\n    <lineId>{line_id}</lineId>\n    {replaces}<pcsaCbeNumber>{pcsa}</pcsaCbeNumber>\n"
                f"    <ssin>{person}</ssin>\n    {partner}<allowanceType>LIVING_WAGE</allowanceType>\n"
                f"    <householdCategory>{category}</householdCategory>\n"
                f"    <period><beginDate>{month.replace(day=begin).isoformat()}</beginDate>"
                f"<endDate>{month.replace(day=last_day).isoformat()}</endDate></period>\n"
                f"    <amount>{amount}</amount>\n    <paymentDate>{month.replace(day=5).isoformat()}</paymentDate>\n"
                f"    <acceptanceDate>{month.replace(day=20).isoformat()}</acceptanceDate>\n"
                f"    <decision>{decision}</decision>{code}\n  </line>\n"
            )
        out.write("</paymentAcceptances>\n")
    return rejected_now


def cpu() -> float:
    """CPU seconds of this process and of its reaped children (the ingest's pool is joined before it returns)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function, *args):
    wall, used = time.perf_counter(), cpu()
    result = function(*args)
    return result, time.perf_counter() - wall, cpu() - used


def bare_pass(path: Path) -> int:
    count = 0
    for _event, element in etree.iterparse(str(path), tag=f"{{{NS}}}line"):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count


def bare_pool(paths: list[Path], workers: int) -> int:
    """The bare pass over the files on a pool of processes: the wall-clock floor of a parallel parse."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return sum(pool.map(bare_pass, paths))


def parse_only(path: Path) -> int:
    return sum(batch.num_rows for batch in UpstreamFile.open(path).batches())


def fast_only(path: Path) -> int:
    reading = NativeRead(UpstreamFile.open(path), BATCH_ROWS)
    return sum(batch.num_rows for batch in reading.batches())


def gate_only(path: Path) -> int:
    """The fast path's gate alone: the byte scan, libxml2's structural validation and the hash, no extraction."""
    gate = native._Gate(UpstreamFile.open(path).kind, path.name)
    pipe = native._GatedPipe(path, gate)
    try:
        while os.read(pipe.read_end, 1 << 20):
            pass
        pipe.outcome()
    finally:
        pipe.stop()
        gate.free()
    return 0  # the gate counts no lines


def xml2arrow_pass(path: Path, config: Path) -> int:
    from xml2arrow import XmlToArrowParser

    parser = XmlToArrowParser(str(config))
    return sum(batch.num_rows for _name, batch in parser.parse_batches(str(path), max_rows_per_batch=50_000))


def xml2arrow_config(folder: Path) -> Path:
    fields = [
        ("lineId", False),
        ("replacesLineId", True),
        ("pcsaCbeNumber", False),
        ("ssin", False),
        ("partnerSsin", True),
        ("allowanceType", False),
        ("householdCategory", False),
        ("period/beginDate", False),
        ("period/endDate", False),
        ("amount", False),
        ("paymentDate", False),
        ("acceptanceDate", False),
        ("decision", False),
        ("rejectionCode", True),
    ]
    lines = [XML2ARROW_CONFIG]
    for name, nullable in fields:
        lines.append(
            f"      - name: {name.replace('/', '_')}\n        xml_path: /paymentAcceptances/line/{name}\n"
            f"        data_type: Utf8\n        nullable: {'true' if nullable else 'false'}\n"
        )
    path = folder / "xml2arrow.yaml"
    path.write_text("".join(lines))
    return path


def new_home(folder: Path, cpas: list[str]):
    home = make_settings(folder).ensure()
    rows = ["cbe_number,nis_code,name_fr,name_nl,region"]
    rows += [f"{cbe},{10000 + i:05d},CPAS {i},OCMW {i},FLANDERS" for i, cbe in enumerate(cpas)]
    (home.reference / "pcsa.csv").write_text("\n".join(rows) + "\n")
    return home


def preload(connection, rows: int) -> None:
    """Fill raw.payment_lines with `rows` synthetic lines (ids that never clash), as after years of loads."""
    connection.execute(
        "INSERT INTO raw.payment_lines SELECT 'PRELOAD', 1, 'old-' || i, NULL, '0200000097', "
        "'85073003328', NULL, 'LIVING_WAGE', 2, DATE '2012-01-01', DATE '2012-01-31', 1314.20, "
        "DATE '2012-01-05', DATE '2012-01-20', 'ACCEPTED', NULL FROM range(?) t(i)",
        [rows],
    )


def rss_child(mode: str, path: Path, work: Path) -> None:
    if mode == "parse":
        rows = parse_only(path)
    elif mode == "fast":
        rows = fast_only(path)
    else:
        cpas = cpas_numbers()
        home = new_home(work / "home", cpas)
        home.payments_inbox.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, home.payments_inbox / path.name)
        connection = duckdb.connect(str(home.warehouse))
        load_reference(connection, home)
        report = ingest_files(connection, home, pending_files(home))
        rows = report.lines
        assert not report.quarantined, report.quarantined[0].reason
    # ru_maxrss keeps the pre-exec peak of the forked parent (Linux carries it across execve), so the child's own
    # high-water mark is read from /proc too; both are reported
    status = Path("/proc/self/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "peak_rss_mb": round(hwm / 1024), "ru_maxrss_mb": round(usage / 1024)}))


def measure_rss(work: Path, people: list[str], cpas: list[str]) -> dict:
    rng = random.Random(7)
    results = {}
    for label, lines in (("100MB", 210_000), ("1GB", 2_100_000)):
        path = work / f"rss-{label}.xml"
        write_month(path, dt.date(2020, 1, 1), lines, people, cpas, rng, {})
        size_mb = path.stat().st_size / 1e6
        for mode in ("parse", "fast", "ingest"):
            child_work = work / f"child-{label}-{mode}"
            child_work.mkdir()
            out = subprocess.run(
                [sys.executable, "-m", __spec__.name, "--rss-child", mode, str(path), "--work", str(child_work)],
                cwd=BENCH.parent,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[f"{mode} {label}"] = {"file_mb": round(size_mb), **json.loads(out.strip().splitlines()[-1])}
            shutil.rmtree(child_work)
        path.unlink()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--lines", type=int, default=250_000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--preload", type=int, default=0, help="lines already loaded before the measured months")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parse processes of the parallel run")
    parser.add_argument("--rss", action="store_true", help="also measure peak RSS on ~100 MB and ~1 GB files")
    parser.add_argument("--rss-only", action="store_true", help="only measure peak RSS")
    parser.add_argument("--memory-limit", help="the loader's DuckDB memory_limit (LWW_INGEST_MEMORY_LIMIT), e.g. 512MB")
    parser.add_argument("--rss-child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child[0], Path(args.rss_child[1]), args.work)
        return 0

    work = Path(tempfile.mkdtemp(prefix="ingest-bench-", dir=args.work))
    if args.memory_limit:
        os.environ["LWW_INGEST_MEMORY_LIMIT"] = args.memory_limit  # read by the loader, inherited by the children
    if args.rss_only:
        try:
            for name, values in measure_rss(work, population(args.people, random.Random(2026)), cpas_numbers()).items():
                print(f"peak RSS {name:12} {values}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    try:
        rng = random.Random(2026)
        people = population(args.people, rng)
        cpas = cpas_numbers()
        files, previous = [], {}
        for index in range(args.months):
            month = dt.date(2024 + index // 12, index % 12 + 1, 1)
            path = work / f"payments-{month:%Y-%m}.xml"
            previous = write_month(path, month, args.lines, people, cpas, rng, previous)
            files.append(path)
        size = sum(p.stat().st_size for p in files)
        total = args.lines * args.months
        print(f"{args.months} files, {total} lines, {size / 1e6:.0f} MB; {args.people} people, {len(cpas)} CPAS")

        config = xml2arrow_config(work)
        results = {}
        for name, function, extra in (
            ("bare iterparse", bare_pass, ()),
            ("detailed parser (checks + Arrow)", parse_only, ()),
            ("fast path: gate alone", gate_only, ()),
            ("fast path (gate + xml2arrow + checks)", fast_only, ()),
            ("xml2arrow", xml2arrow_pass, (config,)),
        ):
            wall = used = 0.0
            for path in files:
                rows, w, c = timed(function, path, *extra)
                assert rows == args.lines or function is gate_only, (name, rows)
                wall, used = wall + w, used + c
            results[name] = (wall, used, os.getloadavg()[0])
        rows, wall, used = timed(bare_pool, files, args.workers)
        assert rows == total
        results[f"bare iterparse, {args.workers} processes"] = (wall, used, os.getloadavg()[0])

        per_file = {}
        for workers in (1, args.workers):
            run_home = new_home(work / f"home-{workers}", cpas)
            connection = duckdb.connect(str(run_home.warehouse))
            load_reference(connection, run_home)
            if args.preload:
                from kernel.raw_tables import create_all

                create_all(connection)
                preload(connection, args.preload)
            for path in files:
                shutil.copy(path, run_home.payments_inbox / path.name)
            report, wall, used = timed(
                lambda h=run_home, c=connection, w=workers: ingest_files(c, h, pending_files(h), workers=w)
            )
            assert not report.quarantined, report.quarantined[0].reason
            assert report.lines == total
            assert all(o.fast for o in report.outcomes), "a file left the fast path"
            connection.close()
            shutil.rmtree(run_home.home)
            results[f"whole ingest, {workers} worker(s)"] = (wall, used, os.getloadavg()[0])
            per_file[workers] = [round(o.seconds, 1) for o in report.outcomes]

        bare_wall, bare_cpu, _load = results["bare iterparse"]
        print(
            f"{'pass':40} {'wall s':>8} {'cpu s':>8} {'cpu us/line':>12} {'lines/s (wall)':>15} "
            f"{'ratio (cpu)':>12} {'ratio (wall)':>13} {'load':>6}"
        )
        for name, (wall, used, load) in results.items():
            print(
                f"{name:40} {wall:8.1f} {used:8.1f} {used / total * 1e6:12.1f} {total / wall:15,.0f} "
                f"{bare_cpu / used:12.2f} {bare_wall / wall:13.2f} {load:6.1f}"
            )
        print("ratios: the bare pass (one process) over this pass, in CPU time and in wall time; load: 1-min load")
        print("average at the end of the pass")
        for workers, seconds in per_file.items():
            print(f"whole ingest, {workers} worker(s), seconds per file (until applied): {seconds}")
        print(f"preloaded lines: {args.preload:,}")
        reload_lines = 180 * 250_000
        for workers in (1, args.workers):
            wall, used, _load = results[f"whole ingest, {workers} worker(s)"]
            print(
                f"15-year reload (180 files, {reload_lines / 1e6:.0f} M lines) at the rate of {workers} worker(s): "
                f"{reload_lines * used / total / 60:.0f} min CPU, {reload_lines * wall / total / 60:.0f} min wall"
            )
        if args.rss:
            for name, values in measure_rss(work, people, cpas).items():
                print(f"peak RSS {name:12} {values}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

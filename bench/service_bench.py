"""Benchmark of the consultation service: getLivingWagesWithAmount (10 years, MONTH) over a Belgian-scale
snapshot, at 1, 8 and 64 concurrent clients from a separate process, against the floor endpoint of the same
server stack (parse + XSD validation + a fixed answer of the same size), and the cost of a snapshot switch under
load; for each number of server worker processes asked.

    .venv/bin/python -m bench.service_bench [--beneficiaries 170000] [--years 15] [--seconds 10] [--workers 1,2,4]
    .venv/bin/python -m bench.service_bench --rights [--rounds 3] ...   # LivingWages V3 against V2
    .venv/bin/python -m bench.service_bench --switch-only [--built-by-service] ...   # only the switch under load

With ``--rights``, the same server answers the five LivingWages operations (drawn at random per request, the
same draws for both) for the same people through V2 and through V3, in alternating runs (V2 then V3, V3 then
V2, ...) so that the machine's other load falls on both alike; it reports each run, the throughputs' ratio and
the server's CPU per request of each version.

The load generator is ``wrk`` (C, one thread, closed loop, so it takes little of the cores the server needs),
with ``bench/service_wrk.lua``: random beneficiaries from a list, HTTP Basic, answers checked, p50/p99 from
wrk's latency record. Install it with ``apt-get install -y wrk`` (Debian). The server is the production
application served as ``lww serve --workers N`` serves it (audit with fsync, metrics, index files memory-mapped),
wrapped by ``bench.service_app``, which adds the floor endpoint.

The snapshot is built with DuckDB SQL into ``$BENCH_HOME`` (default /tmp/lww-service-bench), reused when it
exists with the same size parameters. Rows are written in no particular order (the publication sorts them when
it builds the per-person index files).

The switch goes to a copy of that snapshot under a new refresh id, published as the publication publishes one:
its index files built and verified beside it (``kernel.index.files``) and committed with it, so the workers only
open them; with ``--built-by-service``, published without them, as before they were published (the service
builds them during the switch). It records the failed requests (wrk's), p50/p99 before, during and after, the
time until every worker serves the new snapshot, and the server's memory (RSS, PSS, anonymous; summed over its
processes) sampled every 0.2 s from before the switch until 3 s after every worker serves it, against the sample
just before.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import functools
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import httpx

from bench import RESULTS, record
from bench.service_app import FLOOR_PATH
from kernel import published, snapshots
from kernel.settings import settings as make_settings

ROOT = Path(__file__).resolve().parent.parent

R = dt.date(2026, 11, 7)
CBE = "0200000097"  # the benchmark institution (2000000 + check digits)
USER, PASSWORD = "bench", "bench-password"
LEGAL_CONTEXT = "BENCH"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
INTF = "http://kszbcss.fgov.be/intf/LivingWagesWithAmountService/v1"
ACTION = "http://kszbcss.fgov.be/LivingWagesWithAmountService/getLivingWagesWithAmount"
RIGHTS_INTF = {
    "v2": "http://kszbcss.fgov.be/intf/LivingWagesService/v2",
    "v3": "http://kszbcss.fgov.be/intf/LivingWagesService/v3",
}
RIGHTS_OPERATIONS = (
    "getLivingWagePeriods",
    "getLivingWagePeriodsFlanders",
    "getLivingWagePeriodsPerPCSA",
    "getLivingWagePeriodsPerPCSAFlanders",
    "getLivingWages",
)


def build_snapshot(home: Path, beneficiaries: int, years: int) -> tuple[str, int]:
    """A Belgian-scale snapshot: ~``beneficiaries`` people paid each month over ``years`` years."""
    from argon2 import PasswordHasher

    months = years * 12
    mean_spell = 66  # months: spells of 12..120 months
    people = beneficiaries * months // mean_spell
    published_dir = make_settings(home).published
    refresh_id = snapshots.new_refresh_id(R)
    path = snapshots.staging_path(published_dir, refresh_id)
    first_month = dt.date(R.year - years, R.month, 1)
    con = duckdb.connect(str(path))
    con.execute("SET memory_limit = '6GB'")
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = true")
    for table in (*published.TABLES, published.SNAPSHOT_INFO):
        con.execute(table.ddl())
    started = time.time()
    con.execute(
        f"""
        CREATE TEMP TABLE people AS
        WITH base AS (
            SELECT p,
                   strftime(DATE '1950-01-01' + CAST(p % 18000 AS INTEGER), '%y%m%d')
                       || lpad(CAST(1 + (p // 18000) % 997 AS VARCHAR), 3, '0') AS first9,
                   hash(p) % {months} AS start_index,
                   12 + hash(p * 7 + 1) % 109 AS spell,
                   hash(p * 13 + 5) % 565 AS pcsa_index,
                   1 + hash(p * 17 + 3) % 3 AS category
            FROM range({people}) t(p)
        )
        SELECT p, first9 || lpad(CAST(97 - CAST(first9 AS BIGINT) % 97 AS VARCHAR), 2, '0') AS ssin,
               CAST(start_index AS INTEGER) AS start_index,
               CAST(least(spell, {months} - start_index) AS INTEGER) AS spell, CAST(category AS INTEGER) AS category,
               lpad(CAST(2000001 + pcsa_index AS VARCHAR), 8, '0')
                   || lpad(CAST(97 - (2000001 + pcsa_index) % 97 AS VARCHAR), 2, '0') AS pcsa
        FROM base
        """
    )
    # a fifth of the people have a partner (another person of the population)
    con.execute(
        """
        CREATE TEMP TABLE partners AS
        SELECT a.p, b.ssin AS partner_ssin
        FROM people a JOIN people b ON b.p = (a.p * 31 + 7) % (SELECT count(*) FROM people)
        WHERE a.p % 5 = 0 AND b.p <> a.p
        """
    )
    # one row per month of the 15 years, with everything that depends only on the month precomputed
    con.execute(
        f"""
        CREATE TEMP TABLE months AS
        SELECT idx, month, [{{'begin_date': month, 'end_date': last_day(month)}}] AS grant_periods,
               CASE WHEN date_diff('month', month, DATE '{R}') > 6 THEN 'FINAL'
                    WHEN date_diff('month', month, DATE '{R}') > 3 THEN 'CONSOLIDATING'
                    ELSE 'PROVISIONAL' END AS finality
        FROM (SELECT CAST(i AS INTEGER) AS idx, CAST(DATE '{first_month}' + to_months(CAST(i AS INTEGER)) AS DATE)
              AS month FROM range({months}) t(i))
        """
    )
    con.execute(
        """
        INSERT INTO monthly_amounts
        SELECT pe.ssin, m.month, pe.pcsa,
               CASE WHEN pe.p % 10 = 0 THEN 'EQUIVALENT_LIVING_WAGE' ELSE 'LIVING_WAGE' END,
               pe.category, pa.partner_ssin,
               CAST(CASE pe.category WHEN 1 THEN 876.13 WHEN 2 THEN 1314.20 ELSE 1776.07 END AS DECIMAL(12,2)),
               m.grant_periods, true, m.finality, m.idx = pe.start_index + pe.spell - 1, 1, false
        FROM people pe LEFT JOIN partners pa USING (p)
        JOIN months m ON m.idx >= pe.start_index AND m.idx < pe.start_index + pe.spell
        """
    )
    con.execute(
        """
        INSERT INTO monthly_amounts_by_partner
        SELECT partner_ssin, month, pcsa_cbe_number, allowance_type, household_category, beneficiary_ssin, amount,
               grant_periods, covers_whole_period, finality_status, is_last_indemnified_month
        FROM monthly_amounts WHERE partner_ssin IS NOT NULL
        """
    )
    for target, source, person in (
        ("yearly_amounts", "monthly_amounts", "beneficiary_ssin"),
        ("yearly_amounts_by_partner", "monthly_amounts_by_partner", "partner_ssin"),
    ):
        other = "partner_ssin" if person == "beneficiary_ssin" else "beneficiary_ssin"
        con.execute(
            f"""
            INSERT INTO {target}
            SELECT {person}, year(month) AS year, pcsa_cbe_number, allowance_type, household_category, {other},
                   sum(amount), [{{'begin_date': min(month), 'end_date': last_day(max(month))}}],
                   count(*) = 12, min(finality_status), count(*)
            FROM {source} GROUP BY ALL
            """
        )
    con.execute(
        """
        INSERT INTO last_indemnified_months
        SELECT beneficiary_ssin, 'BENEFICIARY', max(month) FROM monthly_amounts GROUP BY 1
        UNION ALL SELECT partner_ssin, 'PARTNER', max(month) FROM monthly_amounts_by_partner GROUP BY 1
        ORDER BY 1
        """
    )
    con.execute(
        f"""
        INSERT INTO rights
        SELECT 'r' || p, ssin, pcsa, 'LIVING_WAGE', category,
               CAST(DATE '{first_month}' + to_months(CAST(start_index AS INTEGER)) AS DATE),
               CAST(DATE '{first_month}' + to_months(CAST(start_index + spell AS INTEGER)) AS DATE) - 1,
               'ACTIVE', true, DATE '{first_month}', DATE '{first_month}', DATE '{first_month}', 'CREATE', 1,
               DATE '{first_month}', 1, DATE '{first_month}'
        FROM people ORDER BY ssin
        """
    )
    # a third of the people had their right followed by another, adjacent, in another household category (V2
    # merges them into one period, V3 answers two rows)
    con.execute(
        f"""
        INSERT INTO rights
        SELECT 'q' || p, ssin, pcsa, 'LIVING_WAGE', 1 + category % 3,
               CAST(DATE '{first_month}' + to_months(CAST(start_index + spell AS INTEGER)) AS DATE),
               CAST(DATE '{first_month}' + to_months(CAST(start_index + spell + 12 AS INTEGER)) AS DATE) - 1,
               'ACTIVE', true, DATE '{first_month}', DATE '{first_month}', DATE '{first_month}', 'MODIFY', 2,
               DATE '{first_month}' + 1, 2, DATE '{first_month}'
        FROM people WHERE p % 3 = 0 ORDER BY ssin
        """
    )
    con.execute(
        f"INSERT INTO integrations SELECT '{CBE}', ssin, '1', DATE '2000-01-01', NULL FROM people ORDER BY ssin"
    )
    con.execute(
        """
        INSERT INTO dim_pcsa
        SELECT DISTINCT pcsa, '00000', 'CPAS', 'OCMW', CASE WHEN pcsa < '0200030' THEN 'FLANDERS' ELSE 'WALLONIA' END
        FROM people
        """
    )
    con.execute("INSERT INTO institution_credentials VALUES (?, ?, ?)", [CBE, USER, PasswordHasher().hash(PASSWORD)])
    con.execute(
        "INSERT INTO authorizations VALUES (?, 'LivingWagesWithAmount:*', ?, 'bench', DATE '2000-01-01', NULL, ''), "
        "(?, 'LivingWages:*', ?, 'bench', DATE '2000-01-01', NULL, '')",
        [CBE, LEGAL_CONTEXT, CBE, LEGAL_CONTEXT],
    )
    con.execute(
        "INSERT INTO snapshot_info VALUES (?, ?, ?, ?)",
        [refresh_id, R, R.replace(day=1) - dt.timedelta(days=1), dt.datetime.now()],
    )
    rows = con.execute("SELECT count(*) FROM monthly_amounts").fetchone()[0]
    assert published.contract_errors(con) == []
    con.execute("CHECKPOINT")
    con.close()
    snapshots.commit(published_dir, refresh_id, {"reference_date": R.isoformat()})
    print(f"built {refresh_id}: {people} people, {rows} monthly rows in {time.time() - started:.0f} s", flush=True)
    return refresh_id, rows


def publish_index_files(published_dir: Path, staged: Path, refresh_id: str) -> float:
    """Build and verify the index files of a staged snapshot beside it, as the publication does (with DuckDB
    bounded as the service bounds its own builds, on this shared machine); the seconds it took."""
    from kernel.index import files as index_files
    from service.index import load_memory_limit

    folder = snapshots.index_staging_path(published_dir, refresh_id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    started = time.perf_counter()
    with duckdb.connect(str(staged), read_only=True) as connection:
        connection.execute(f"SET memory_limit = '{load_memory_limit()}'")
        connection.execute("SET threads = 2")
        connection.execute("SET enable_progress_bar = false")
        index_files.build(connection, folder, refresh_id)
        errors = index_files.verify(folder, connection, refresh_id)
    if errors:
        raise RuntimeError("the index files failed verification: " + "; ".join(errors))
    return time.perf_counter() - started


def sample_ssins(home: Path, count: int, seed: int = 7) -> list[str]:
    snapshot = snapshots.current(make_settings(home).published)
    with snapshots.connect(snapshot) as con:
        total = con.execute(
            "SELECT count(*) FROM last_indemnified_months WHERE person_role = 'BENEFICIARY'"
        ).fetchone()[0]
        rng = random.Random(seed)
        picks = sorted(rng.sample(range(total), count))
        ssins = con.execute(
            "SELECT ssin FROM (SELECT ssin, row_number() OVER () - 1 AS n FROM last_indemnified_months "
            "WHERE person_role = 'BENEFICIARY') WHERE list_contains(?, n)",
            [picks],
        ).fetchall()
    return [s for (s,) in ssins]


def envelope(ssin: str) -> bytes:
    begin = R.replace(year=R.year - 10) + dt.timedelta(days=1)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:i="{INTF}"><s:Body><i:getLivingWagesWithAmountRequest>
<informationCustomer><customerIdentification><cbeNumber>{CBE}</cbeNumber></customerIdentification></informationCustomer>
<legalContext>{LEGAL_CONTEXT}</legalContext>
<criteria><ssin>{ssin}</ssin><period><beginDate>{begin}</beginDate><endDate>{R}</endDate></period>
<grouping>MONTH</grouping></criteria></i:getLivingWagesWithAmountRequest></s:Body></s:Envelope>""".encode()


def rights_envelope(ssin: str, version: str, operation: str) -> bytes:
    """A LivingWages request of ``version`` (v2, v3) over the last ten years, as ``envelope`` asks amounts."""
    begin = R.replace(year=R.year - 10) + dt.timedelta(days=1)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:i="{RIGHTS_INTF[version]}"><s:Body><i:{operation}Request>
<informationCustomer><customerIdentification><cbeNumber>{CBE}</cbeNumber></customerIdentification></informationCustomer>
<legalContext>{LEGAL_CONTEXT}</legalContext>
<criteria><ssin>{ssin}</ssin><period><beginDate>{begin}</beginDate><endDate>{R}</endDate></period></criteria>
</i:{operation}Request></s:Body></s:Envelope>""".encode()


def mean_rows(home: Path, ssins: list[str]) -> float:
    """Mean number of amount rows of the sampled 10-year MONTH answers (the floor answers with as many)."""
    begin = R.replace(year=R.year - 10) + dt.timedelta(days=1)
    with snapshots.connect(snapshots.current(make_settings(home).published)) as con:
        rows = con.execute(
            "SELECT count(*) FROM monthly_amounts WHERE list_contains(?, beneficiary_ssin) AND month >= ?",
            [ssins, begin.replace(day=1)],
        ).fetchone()[0]
    return rows / len(ssins)


def wrk(url: str, bodies: Path, clients: int, seconds: float, action: str = ACTION) -> dict:
    """One closed-loop run of wrk (one thread, ``clients`` connections); its JSON line as a dict."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    command = [
        "wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "--latency",
        "-s", str(Path(__file__).with_name("service_wrk.lua")), url, "--", str(bodies), f"Basic {token}", action,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    found["clients"] = clients
    found["rps"] = round(found["requests"] / found["duration_s"], 1)
    found["failures"] = found["bad_answers"] + found["socket_errors"] + found["http_errors"]
    return found


def fsync_probe(directory: Path, count: int = 200) -> dict:
    """What one durable audit append costs on this disk now: append a record-sized line, fdatasync; p50/p99 ms.

    Every answer waits for one such flush (shared by the requests written before it), so it bounds the latency
    from below whatever the CPU does; it varies with the other writers of the disk."""
    path = directory / f".fsync-probe-{os.getpid()}"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    times = []
    try:
        for _ in range(count):
            os.write(fd, b"x" * 500 + b"\n")
            t0 = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    times.sort()
    return {"p50_ms": round(times[count // 2], 2), "p99_ms": round(times[int(count * 0.99)], 2)}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants: the server, its workers and their audit syncers."""
    found, todo = [], [pid]
    while todo:
        proc = todo.pop()
        found.append(proc)
        todo.extend(_children(proc))
    return found


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of the server and of each of its processes (workers, syncers), by pid."""
    found = {}
    for proc in _family(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
            found[proc] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def measured(server: subprocess.Popen, run) -> dict:
    """``run()`` (one wrk run), with the server's CPU per request (its audit syncers' included), each worker's
    share of that CPU and the syncers' share: the CPU per request does not depend on what else the machine runs
    the way throughput does, and the shares show how the connections fell on the workers (one worker holding
    most of them leaves a core idle)."""
    before = cpu_seconds(server.pid)
    found = run()
    after = cpu_seconds(server.pid)
    used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    total = sum(used.values())
    found["server_cpu_ms_per_request"] = round(total / max(found["requests"], 1) * 1000, 3)
    workers = set(_children(server.pid))
    found["worker_cpu_shares"] = sorted((round(v / total, 2) for p, v in used.items() if p in workers), reverse=True)
    found["syncers_cpu_share"] = round(sum(v for p, v in used.items() if p not in workers | {server.pid}) / total, 3)
    return found


def memory_mb(pid: int) -> dict:
    """RSS, PSS (shared pages divided among the processes mapping them) and anonymous memory (the processes' own,
    not file pages the page cache holds once) of the server and its processes."""
    rss = pss = anon = 0.0
    family = _family(pid)
    for proc in family:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{proc}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) / 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) / 1024
                elif line.startswith("Anonymous:"):
                    anon += int(line.split()[1]) / 1024
    return {"rss_mb": round(rss), "pss_mb": round(pss), "anon_mb": round(anon), "processes": len(family)}


def serving(base: str, refresh_id: str, workers: int) -> bool:
    """Whether every worker serves ``refresh_id`` (the metrics say, per worker, with several)."""
    if workers == 1:
        return httpx.get(base + "/health", timeout=60).json().get("snapshot") == refresh_id
    text = httpx.get(base + "/metrics", timeout=60).text
    lines = [x for x in text.splitlines() if x.startswith("lww_service_worker_snapshot{")]
    return sum(f'refresh_id="{refresh_id}"' in x and x.endswith(" 1.0") for x in lines) >= workers


def start_server(home: Path, port: int, workers: int, floor_rows: int, ladder: str = "full") -> subprocess.Popen:
    """The bench's server (``bench.service_app``): the production app with the floor and a step of the ladder."""
    command = [sys.executable, "-m", "bench.service_app", "--home", str(home), "--port", str(port)]
    command += ["--workers", str(workers), "--floor-rows", str(floor_rows), "--ladder", ladder]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def wait_healthy(base: str, server: subprocess.Popen, limit: float = 1800) -> float:
    started = time.perf_counter()
    while True:  # the first request opens the snapshot (building its index files if no one has yet)
        try:
            if httpx.get(base + "/health", timeout=limit).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.perf_counter() - started > limit:
            raise RuntimeError("the server did not become healthy")
        time.sleep(0.5)


def measure(args, home: Path, workers: int, bodies: Path, floor_rows: int, other_id: str, current_id: str) -> dict:
    published_dir = make_settings(home).published
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(home, args.port, workers, floor_rows)
    try:
        load_s = wait_healthy(base, server)
        # every worker opens the snapshot at its first request: spread a few over fresh connections
        for _ in range(4 * workers):
            httpx.get(base + "/health", headers={"Connection": "close"}, timeout=600)
        url = base + "/soap/LivingWagesWithAmountService/v1"
        wrk(url, bodies, 2 * workers, 3)  # warm-up: credentials cached, pages mapped, every worker loaded
        wrk(base + FLOOR_PATH, bodies, 2 * workers, 3)  # and the floor's fixed answer rendered in each
        result = {
            "workers": workers,
            "first_health_s": round(load_s, 1),
            "memory_after_load": memory_mb(server.pid),
            "fdatasync_before": fsync_probe(make_settings(home).audit),
            "load_average_before": os.getloadavg(),
        }
        print(json.dumps(result), flush=True)
        runs = result["runs"] = []
        for endpoint, target in (
            ()
            if args.switch_only
            else (
                ("floor", base + FLOOR_PATH),
                ("getLivingWagesWithAmount", url),
            )
        ):
            for clients in args.clients:
                run = measured(server, functools.partial(wrk, target, bodies, clients, args.seconds))
                run.update(endpoint=endpoint, workers=workers)
                runs.append(run)
                print(json.dumps(run), flush=True)

        result["fdatasync_after"] = fsync_probe(make_settings(home).audit)
        result["load_average_after"] = os.getloadavg()
        if args.no_switch:
            return result
        # snapshot switch under load (8 clients): runs of --seconds before, while the workers open the other
        # snapshot (its published index files, or building them with --built-by-service), and after every worker
        # serves it; the memory sampled meanwhile
        switch_result: dict = {}
        samples: list[dict] = []
        switched = threading.Event()

        def switch() -> None:
            time.sleep(1.0)  # inside the "during" run, with the clients running
            switch_result["memory_before_switch"] = memory_mb(server.pid)
            t0 = time.perf_counter()
            snapshots.switch_current(published_dir, other_id, reason="bench switch")
            while not serving(base, other_id, workers):
                time.sleep(0.05)
            switch_result["switch_to_all_workers_serving_s"] = round(time.perf_counter() - t0, 2)
            switch_result["memory_after_switch"] = memory_mb(server.pid)
            switched.set()

        def sample() -> None:
            # until 3 s after every worker serves the new snapshot: each maps the new pages in after its swap
            while not switched.wait(0.2):
                samples.append(memory_mb(server.pid))
            until = time.perf_counter() + 3.0
            while time.perf_counter() < until:
                samples.append(memory_mb(server.pid))
                time.sleep(0.2)

        phases = [dict(wrk(url, bodies, 8, args.seconds), phase="before")]
        sampler = threading.Thread(target=sample)
        sampler.start()
        switcher = threading.Thread(target=switch)
        switcher.start()
        while not switched.is_set():
            phases.append(dict(wrk(url, bodies, 8, args.seconds), phase="during"))
        switcher.join()
        sampler.join()
        phases.append(dict(wrk(url, bodies, 8, args.seconds), phase="after"))
        before = switch_result["memory_before_switch"]
        peak = {
            "rss_mb": max(m["rss_mb"] for m in samples),
            "pss_mb": max(m["pss_mb"] for m in samples),
            "anon_mb": max(m["anon_mb"] for m in samples),
            "samples": len(samples),
        }
        run = {
            "endpoint": "getLivingWagesWithAmount + switch",
            "workers": workers,
            "index_files": "built by the service" if args.built_by_service else "published with the snapshot",
            "failures": sum(p["failures"] for p in phases),
            "p99_ms_before": phases[0].get("p99_ms"),
            "p99_ms_during": max(p.get("p99_ms", 0) for p in phases if p["phase"] == "during"),
            "peak_memory_during_switch": peak,
            "peak_rss_vs_before": round(peak["rss_mb"] / max(before["rss_mb"], 1), 3),
            "peak_pss_vs_before": round(peak["pss_mb"] / max(before["pss_mb"], 1), 3),
            "peak_anon_vs_before": round(peak["anon_mb"] / max(before["anon_mb"], 1), 3),
            **switch_result,
            "load_average_at_switch": os.getloadavg(),
            "phases": phases,
        }
        runs.append(run)
        print(json.dumps(run), flush=True)
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)
        snapshots.switch_current(published_dir, current_id, reason="bench end")


def measure_rights(args, home: Path, ssins: list[str]) -> dict:
    """V2 and V3 of LivingWages for the same people and operations, in alternating runs on one server."""
    rng = random.Random(11)
    draws = [(ssin, rng.choice(RIGHTS_OPERATIONS)) for ssin in ssins]
    bodies = {}
    for version in RIGHTS_INTF:
        bodies[version] = home / f"bench-rights-{version}.txt"
        lines = (rights_envelope(ssin, version, op).decode().replace("\n", "") + "\n" for ssin, op in draws)
        bodies[version].write_text("".join(lines))
    base = f"http://127.0.0.1:{args.port}"
    workers = int(args.workers.split(",")[0])
    server = start_server(home, args.port, workers, 1)
    urls = {version: f"{base}/soap/LivingWagesService/{version}" for version in RIGHTS_INTF}
    clients = args.clients[0]
    result: dict = {"workers": workers, "clients": clients, "load_average_before": os.getloadavg(), "runs": []}
    try:
        result["first_health_s"] = round(wait_healthy(base, server), 1)
        for version in RIGHTS_INTF:  # warm-up; the SOAPAction is left out: the operation varies by request
            wrk(urls[version], bodies[version], clients, 3, action="")
        for round_ in range(args.rounds):  # V2, V3, then V3, V2, ...: neither always runs first
            for version in list(RIGHTS_INTF)[:: 1 if round_ % 2 == 0 else -1]:
                run = measured(
                    server, functools.partial(wrk, urls[version], bodies[version], clients, args.seconds, "")
                )
                run.update(version=version)
                result["runs"].append(run)
                print(json.dumps(run), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for version in RIGHTS_INTF:
        runs = [r for r in result["runs"] if r["version"] == version]
        result[version] = {
            "rps_mean": round(sum(r["rps"] for r in runs) / len(runs), 1),
            "server_cpu_ms_per_request_mean": round(sum(r["server_cpu_ms_per_request"] for r in runs) / len(runs), 3),
            "p50_ms_mean": round(sum(r["p50_ms"] for r in runs) / len(runs), 3),
            "failures": sum(r["failures"] for r in runs),
            "data_found": sum(r["data_found"] for r in runs),
        }
    result["v3_over_v2_rps"] = round(result["v3"]["rps_mean"] / result["v2"]["rps_mean"], 3)
    result["v3_over_v2_cpu_per_request"] = round(
        result["v3"]["server_cpu_ms_per_request_mean"] / result["v2"]["server_cpu_ms_per_request_mean"], 3
    )
    result["load_average_after"] = os.getloadavg()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beneficiaries", type=int, default=170_000)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--workers", default="1,2,4", help="server worker processes to measure, comma-separated")
    parser.add_argument("--clients", default="1,8,64", help="concurrent clients, comma-separated")
    parser.add_argument("--no-switch", action="store_true", help="skip the snapshot switch (quick runs)")
    parser.add_argument("--switch-only", action="store_true", help="only the snapshot switch under load")
    parser.add_argument(
        "--built-by-service",
        action="store_true",
        help="switch to a snapshot published without index files (the service builds them), as before they were",
    )
    parser.add_argument("--rights", action="store_true", help="LivingWages V3 against V2 instead (same people)")
    parser.add_argument("--rounds", type=int, default=3, help="--rights: alternating V2/V3 runs of each")
    parser.add_argument("--output", default=str(RESULTS / "service_bench_results.json"))
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    if shutil.which("wrk") is None:
        print("service_bench: wrk not found; install it with `apt-get install -y wrk` (Debian's package)")
        return 2

    home = Path(os.environ.get("BENCH_HOME", "/tmp/lww-service-bench")) / f"b{args.beneficiaries}-y{args.years}"
    settings = make_settings(home)
    published_dir = settings.published
    if snapshots.current(published_dir) is None:
        shutil.rmtree(home, ignore_errors=True)
        build_snapshot(home, args.beneficiaries, args.years)
    current = snapshots.current(published_dir)
    with snapshots.connect(current) as con:
        monthly_rows = con.execute("SELECT count(*) FROM monthly_amounts").fetchone()[0]
        people = con.execute("SELECT count(DISTINCT beneficiary_ssin) FROM monthly_amounts").fetchone()[0]
    size_gb = current.path.stat().st_size / 1e9
    print(f"snapshot {current.refresh_id}: {monthly_rows} monthly rows, {people} beneficiaries, {size_gb:.2f} GB")
    ssins = sample_ssins(home, 2000)
    if args.rights:
        if args.output == parser.get_default("output"):
            args.output = str(RESULTS / "service_bench_rights_v3.json")
        results = {"snapshot_gb": round(size_gb, 2), "beneficiaries": people, "years": args.years}
        results.update(measure_rights(args, home, ssins))
        record(results, args.output)
        return 0
    floor_rows = round(mean_rows(home, ssins))
    bodies = home / "bench-bodies.txt"
    bodies.write_text("".join(envelope(s).decode().replace("\n", "") + "\n" for s in ssins))

    # the index files of the current snapshot: built once here (what the first worker of a cold service does)
    from service.index import IndexCache

    cache = IndexCache(settings.service_cache / "indexes", published_dir)
    started = time.perf_counter()
    fresh = not (cache.folder(current.refresh_id) / "index.json").is_file()
    cache.indexes(current)
    index_s = time.perf_counter() - started
    index_mb = sum(p.stat().st_size for p in cache.folder(current.refresh_id).iterdir()) / 1e6
    print(f"index files {'built' if fresh else 'found'} in {index_s:.1f} s, {index_mb:.0f} MB", flush=True)

    # a second snapshot to switch to under load (same data, another file), published as the publication does:
    # its index files built and verified beside it, committed with it (or, --built-by-service, without them)
    other_id = snapshots.new_refresh_id(R)
    staged = snapshots.staging_path(published_dir, other_id)
    shutil.copyfile(current.path, staged)
    os.chmod(staged, 0o644)
    publish_s = None
    if not args.built_by_service:
        publish_s = publish_index_files(published_dir, staged, other_id)
        print(f"index files of {other_id} built and verified by the publisher in {publish_s:.1f} s", flush=True)
    manifest = {k: v for k, v in current.manifest.items() if k != "index"}
    snapshots.commit(published_dir, other_id, dict(manifest, reference_date=R.isoformat()), switch=False)
    snapshots.switch_current(published_dir, current.refresh_id, reason="bench")
    results = {
        "monthly_rows": monthly_rows,
        "beneficiaries": people,
        "snapshot_gb": round(size_gb, 2),
        "rows_per_answer": floor_rows,
        "index_files_s": round(index_s, 1) if fresh else None,
        "index_files_mb": round(index_mb),
        "publisher_index_files_s": publish_s,
        "load_average_before": os.getloadavg(),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0],
        "by_workers": [],
    }
    try:
        for workers in (int(w) for w in args.workers.split(",")):
            results["by_workers"].append(measure(args, home, workers, bodies, floor_rows, other_id, current.refresh_id))
            # the next server starts without the other snapshot's index files: the switch builds them again
            shutil.rmtree(cache.folder(other_id), ignore_errors=True)
    finally:
        snapshots.switch_current(published_dir, current.refresh_id, reason="bench end")
        snapshots.snapshot_path(published_dir, other_id).unlink(missing_ok=True)
        snapshots.manifest_path(published_dir, other_id).unlink(missing_ok=True)
        shutil.rmtree(snapshots.index_path(published_dir, other_id), ignore_errors=True)
        shutil.rmtree(cache.folder(other_id), ignore_errors=True)
    record(results, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the consultation service: getLivingWagesWithAmount (10 years, MONTH) over a Belgian-scale
snapshot, at 1, 8 and 64 concurrent clients from a separate process, against the floor endpoint of the same
stack (parse + XSD validation + a fixed answer), and the cost of a snapshot switch under load.

    nice -n 10 .venv/bin/python bench/service_bench.py [--beneficiaries 170000] [--years 15] [--seconds 15]

The snapshot is built with DuckDB SQL into ``$BENCH_HOME`` (default /tmp/lww-service-bench), reused when it
exists with the same size parameters. Rows are written in no particular order (the service sorts them when it
loads a snapshot into its per-person indexes).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import httpx

from kernel import published, snapshots
from kernel.settings import settings as make_settings

R = dt.date(2026, 11, 7)
CBE = "0200000097"  # the benchmark institution (2000000 + check digits)
USER, PASSWORD = "bench", "bench-password"
LEGAL_CONTEXT = "BENCH"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
INTF = "http://kszbcss.fgov.be/intf/LivingWagesWithAmountService/v1"
ACTION = "http://kszbcss.fgov.be/LivingWagesWithAmountService/getLivingWagesWithAmount"


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
               DATE '{first_month}', 1
        FROM people ORDER BY ssin
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
        "INSERT INTO authorizations VALUES (?, 'LivingWagesWithAmount:*', ?, 'bench', DATE '2000-01-01', NULL)",
        [CBE, LEGAL_CONTEXT],
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


async def load(
    url: str, bodies: list[bytes], clients: int, seconds: float, switch_at: float | None = None, switch=None
) -> dict:
    latencies: list[float] = []
    stamps: list[tuple[float, float]] = []
    failures: dict[str, int] = {}
    rows = 0
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{ACTION}"'}
    # one client, its pool sized to the concurrency, made before the clock starts: creating an httpx client
    # costs an SSL context, which measured in the loop would inflate every in-flight latency
    http = httpx.AsyncClient(
        auth=(USER, PASSWORD),
        headers=headers,
        timeout=120,
        limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients),
        verify=False,
    )
    await asyncio.gather(*(http.post(url, content=bodies[k % len(bodies)]) for k in range(clients)))  # connect
    start = time.perf_counter()
    stop_at = start + seconds

    async def client(k: int) -> None:
        nonlocal rows
        i = k
        while time.perf_counter() < stop_at:
            body = bodies[i % len(bodies)]
            i += clients
            t0 = time.perf_counter()
            try:
                response = await http.post(url, content=body)
                ok = response.status_code == 200 and (
                    b"<code>MSG00000</code>" in response.content or b"<code>MSG00100</code>" in response.content
                )
                rows += response.content.count(b"<amount><month>")
                why = f"HTTP {response.status_code}"
            except httpx.HTTPError as error:
                ok, why = False, type(error).__name__
            t1 = time.perf_counter()
            if ok:
                latencies.append(t1 - t0)
                stamps.append((t0 - start, t1 - t0))
            else:
                failures[why] = failures.get(why, 0) + 1

    async def switcher() -> None:
        await asyncio.sleep(switch_at)
        await asyncio.to_thread(switch)

    tasks = [client(k) for k in range(clients)]
    if switch is not None:
        tasks.append(switcher())
    await asyncio.gather(*tasks)
    await http.aclose()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [float("nan")] * 99
    return {
        "clients": clients,
        "requests": len(latencies),
        "failures": failures,
        "rps": sum(1 for t, _ in stamps if t <= seconds) / seconds,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "max_ms": latencies[-1] * 1000 if latencies else None,
        "rows_per_answer": rows / max(1, len(latencies)),
        "stamps": stamps,
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve(home: str, port: int) -> None:
    """The server process: the real app (auth, audit, metrics) plus the floor endpoint, single uvicorn worker."""
    import uvicorn

    from service.app import create_app

    uvicorn.run(
        create_app(make_settings(home).ensure(), floor=True),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beneficiaries", type=int, default=170_000)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0

    home = Path(os.environ.get("BENCH_HOME", "/tmp/lww-service-bench")) / f"b{args.beneficiaries}-y{args.years}"
    published_dir = make_settings(home).published
    if snapshots.current(published_dir) is None:
        shutil.rmtree(home, ignore_errors=True)
        build_snapshot(home, args.beneficiaries, args.years)
    current = snapshots.current(published_dir)
    with snapshots.connect(current) as con:
        monthly_rows = con.execute("SELECT count(*) FROM monthly_amounts").fetchone()[0]
        people = con.execute("SELECT count(DISTINCT beneficiary_ssin) FROM monthly_amounts").fetchone()[0]
    size_gb = current.path.stat().st_size / 1e9
    print(f"snapshot {current.refresh_id}: {monthly_rows} monthly rows, {people} beneficiaries, {size_gb:.2f} GB")

    # a second snapshot to switch to under load (same data, another file): prepared before the measure
    other_id = snapshots.new_refresh_id(R)
    shutil.copyfile(current.path, snapshots.staging_path(published_dir, other_id))
    os.chmod(snapshots.staging_path(published_dir, other_id), 0o644)
    snapshots.commit(published_dir, other_id, dict(current.manifest, reference_date=R.isoformat()), switch=False)
    snapshots.switch_current(published_dir, current.refresh_id, reason="bench")

    server = subprocess.Popen([sys.executable, __file__, "--serve", str(home), "--port", str(args.port)])
    base = f"http://127.0.0.1:{args.port}"
    try:
        started = time.perf_counter()
        while True:  # the first request loads the snapshot into memory: minutes at Belgian scale
            try:
                if httpx.get(base + "/health", timeout=900).status_code == 200:
                    break
            except httpx.HTTPError:
                if server.poll() is not None or time.perf_counter() - started > 900:
                    raise
                time.sleep(0.5)
        load_s = time.perf_counter() - started
        rss_mb = _rss_mb(server.pid)
        print(f"first load {load_s:.1f} s, server RSS {rss_mb:.0f} MB", flush=True)
        bodies = [envelope(s) for s in sample_ssins(home, 2000)]
        url = base + "/soap/LivingWagesWithAmountService/v1"
        asyncio.run(load(url, bodies[:50], 4, 3))  # warm-up: credentials cached, cursors opened, pages cached
        results = {
            "monthly_rows": monthly_rows,
            "beneficiaries": people,
            "snapshot_gb": round(size_gb, 2),
            "first_load_s": round(load_s, 1),
            "server_rss_mb_after_load": round(rss_mb),
            "runs": [],
        }
        for endpoint, target in (("floor", base + "/bench/floor"), ("getLivingWagesWithAmount", url)):
            for clients in (1, 8, 64):
                run = asyncio.run(load(target, bodies, clients, args.seconds))
                run.pop("stamps")
                run["endpoint"] = endpoint
                results["runs"].append(run)
                print(json.dumps(run), flush=True)

        # snapshot switch under load (8 clients): CURRENT flips to the other file half-way
        switched_at: list[float] = []

        def switch() -> None:
            switched_at.append(time.perf_counter())
            snapshots.switch_current(published_dir, other_id, reason="bench switch")
            while httpx.get(base + "/health", timeout=60).json()["snapshot"] != other_id:
                time.sleep(0.1)
            switched_at.append(time.perf_counter())

        peak_rss = [0.0]
        watching = threading.Event()

        def watch_rss() -> None:
            while not watching.is_set():
                peak_rss[0] = max(peak_rss[0], _rss_mb(server.pid))
                time.sleep(0.2)

        watcher = threading.Thread(target=watch_rss, daemon=True)
        watcher.start()
        run = asyncio.run(load(url, bodies, 8, args.seconds, switch_at=args.seconds / 2, switch=switch))
        watching.set()
        stamps = run.pop("stamps")
        half = args.seconds / 2
        around = [lat for t, lat in stamps if half <= t <= half + 1.0]
        before = [lat for t, lat in stamps if half - 3 <= t < half]
        run.update(
            endpoint="getLivingWagesWithAmount + switch",
            first_second_after_switch_max_ms=max(around) * 1000 if around else None,
            first_second_after_switch_mean_ms=statistics.mean(around) * 1000 if around else None,
            before_switch_mean_ms=statistics.mean(before) * 1000 if before else None,
            serving_new_snapshot=httpx.get(base + "/health").json()["snapshot"] == other_id,
            switch_to_serving_s=round(switched_at[1] - switched_at[0], 2) if len(switched_at) == 2 else None,
            peak_rss_mb_during_switch=round(peak_rss[0]),
        )
        results["runs"].append(run)
        print(json.dumps(run), flush=True)
        out = Path(__file__).with_name("service_bench_results.json")
        out.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"results in {out}")
    finally:
        server.terminate()
        server.wait(timeout=10)
        snapshots.switch_current(published_dir, current.refresh_id, reason="bench end")
        snapshots.snapshot_path(published_dir, other_id).unlink(missing_ok=True)
        snapshots.manifest_path(published_dir, other_id).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``LWW_ENGINE=spark lww refresh``: the same homes refreshed by each engine publish the same snapshot, table for
table and row for row, and the service answers from the one Spark's marts made. A real refresh each (Dagster, dbt,
a local Spark for the second), a real service on a loopback port."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shutil

import duckdb
import httpx
import pytest

from kernel import published, snapshots
from kernel.settings import settings
from lww import cli
from simulator import SimulationConfig, simulate
from tests.service.conftest import RunningService, basic

SEED = 7
R = "2026-04-04"


def _refresh(home, engine: str, printed: io.StringIO) -> None:
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setenv("LWW_ENGINE", engine)
        assert cli.main(["--home", str(home.home), "refresh", "--as-of", R]) == 0


def _refreshed(tmp_path_factory, engine: str):
    """A home whose history is built by DuckDB without the newest month of right events, then refreshed with that
    month by ``engine``: with spark, an engine switch whose notifications must be those DuckDB would make."""
    home = settings(tmp_path_factory.mktemp(engine)).ensure()
    config = SimulationConfig(
        seed=SEED,
        pcsa=2,
        people=20,
        first_month=dt.date(2025, 10, 1),
        last_month=dt.date(2026, 3, 1),
        today=dt.date(2026, 4, 4),
    )
    summary = simulate(config, home)
    newest = sorted(home.rights_inbox.glob("RIG-*.xml"))[-1]
    held = home.home / newest.name
    shutil.move(newest, held)
    _refresh(home, "duckdb", io.StringIO())
    shutil.move(held, newest)
    printed = io.StringIO()
    _refresh(home, engine, printed)
    return home, summary, printed.getvalue()


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    return _refreshed(tmp_path_factory, "duckdb"), _refreshed(tmp_path_factory, "spark")


def test_both_engines_publish_the_same_snapshot(homes):
    (duck, _, duck_out), (spark, _, spark_out) = homes
    assert (spark.warehouse_dir / "marts.engine").read_text().strip() == "spark"
    assert "models built on spark" in spark_out and "models built on" not in duck_out, spark_out
    first, second = snapshots.current(duck.published), snapshots.current(spark.published)
    connection = duckdb.connect()
    connection.execute(f"ATTACH '{first.path}' AS duck (READ_ONLY)")
    connection.execute(f"ATTACH '{second.path}' AS spark (READ_ONLY)")
    compared = 0
    for table in published.TABLES:
        if table.name == "consultations":  # the service's own log, not built from the upstream files
            continue
        columns = ", ".join(f'"{c}"' for c in table.column_names)
        for one, other in (("duck", "spark"), ("spark", "duck")):
            extra = connection.execute(
                f'SELECT {columns} FROM {one}."{table.name}" EXCEPT ALL SELECT {columns} FROM {other}."{table.name}" '
                "LIMIT 1"
            ).fetchone()
            assert extra is None, f"{table.name}: {one} has {extra}, {other} has not"
        compared += connection.execute(f'SELECT count(*) FROM spark."{table.name}"').fetchone()[0]
    assert compared > 500  # every table compared holds rows of the small scenario
    # the newest month's events were notified by the engine that saw them arrive, the history was not
    due = connection.execute("SELECT count(*) FROM spark.due_notifications WHERE ticket_cbss IS NOT NULL").fetchone()
    assert due[0] > 0


def test_the_service_answers_from_the_snapshot_spark_made(homes):
    _, (spark, summary, _) = homes
    hint = next(line for line in summary.credentials if line.startswith("Try a consultation"))
    username, cbe, context, ssin = re.match(
        r"Try a consultation as (\S+) \(cbeNumber (\d+)\), legal context (\S+), for SSIN (\d+)", hint
    ).groups()
    password = next(line.split()[1] for line in summary.credentials if line.split()[:1] == [username])
    body = {
        "informationCustomer": {"customerIdentification": {"cbeNumber": cbe}},
        "legalContext": context,
        "criteria": {"ssin": ssin, "period": {"beginDate": "2025-01-01", "endDate": "2026-03-31"}},
    }
    with RunningService(spark.home) as service:
        answer = httpx.post(
            service.url + "/api/v1/LivingWages/getLivingWagePeriods", json=body, headers=basic(username, password)
        ).json()
    assert answer["status"]["code"] != "MSG00012", answer
    assert answer.get("livingWagePeriod"), answer


def test_an_unknown_engine_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LWW_ENGINE", "hive")
    assert cli.main(["--home", str(tmp_path), "refresh"]) != 0
    error = capsys.readouterr().err.strip()
    assert error.splitlines() == ["lww refresh: LWW_ENGINE='hive': expected one of duckdb, spark"]

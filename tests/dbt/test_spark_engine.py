"""The same dbt project on both engines: the small scenario (the demo simulation) built by DuckDB and by Spark
(dbt-spark, session mode, with its unit and data tests) gives the same marts, row for row and to the cent; and the
oracle property holds on the Spark build too, on fewer examples. One Spark for the module (one JVM start)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.engines import spark
from kernel.settings import settings as home_settings
from simulator.config import SimulationConfig
from simulator.run import write_raw
from tests.dbt.engines import build_on_spark, first_difference, mart_names
from tests.dbt.test_oracle_property import _dataset, assert_marts_agree, person_lines
from tests.dbt.warehouse import create_warehouse, run_dbt

R = "2026-12-05"


@pytest.fixture(scope="module", autouse=True)
def one_spark(tmp_path_factory: pytest.TempPathFactory):
    """Every Spark build of the module shares one Spark and its catalogue (Spark's warehouse folder is fixed when
    it starts)."""
    folder = tmp_path_factory.mktemp("spark")
    os.environ["LWW_TEST_SPARK_HOME"] = str(folder)
    yield folder
    os.environ.pop("LWW_TEST_SPARK_HOME", None)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small scenario's warehouse built by DuckDB, and a copy whose marts Spark built."""
    work = tmp_path_factory.mktemp("engines")
    duck_home, spark_home = home_settings(work / "duck"), home_settings(work / "spark")
    duck_home.warehouse_dir.mkdir(parents=True)
    write_raw(SimulationConfig(seed=7, today=dt.date(2026, 12, 6)), duck_home.warehouse)
    spark_home.warehouse_dir.mkdir(parents=True)
    shutil.copyfile(duck_home.warehouse, spark_home.warehouse)
    run_dbt(duck_home.warehouse, work, R)
    build_on_spark(spark_home, work / "spark-dbt", R)
    return duck_home.warehouse, spark_home.warehouse


def test_every_mart_is_built_by_both_engines(both: tuple[Path, Path]) -> None:
    duck, spark_built = both
    assert mart_names(duck) == mart_names(spark_built)
    assert {"fct_monthly_amounts", "fct_yearly_amounts", "fct_rights", "fct_amount_history"} <= set(mart_names(duck))


def test_every_mart_holds_the_same_rows_on_both_engines(both: tuple[Path, Path]) -> None:
    duck, spark_built = both
    differences = [first_difference(duck, spark_built, name) for name in mart_names(duck)]
    assert [d for d in differences if d] == []


def test_the_comparison_names_the_first_difference(both: tuple[Path, Path], tmp_path: Path) -> None:
    """The comparison itself: one amount changed by a cent is reported with its key and both values."""
    duck, spark_built = both
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(spark_built, changed)
    import duckdb

    connection = duckdb.connect(str(changed))
    ssin, month = connection.execute(
        "SELECT beneficiary_ssin, month FROM marts.fct_monthly_amounts ORDER BY ALL LIMIT 1"
    ).fetchone()
    connection.execute(
        "UPDATE marts.fct_monthly_amounts SET amount = amount + 0.01 WHERE beneficiary_ssin = ? AND month = ?",
        [ssin, month],
    )
    connection.close()
    message = first_difference(duck, changed, "fct_monthly_amounts")
    assert message is not None
    assert ssin in message and "amount" in message


@pytest.mark.parametrize("reference_date", (dt.date(2026, 7, 4), dt.date(2027, 1, 2)), ids=str)
@settings(
    max_examples=1,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(people=st.lists(person_lines(), min_size=40, max_size=80))
def test_spark_marts_agree_with_the_oracle(
    tmp_path_factory: pytest.TempPathFactory, people: list[list[dict]], reference_date: dt.date
) -> None:
    work = tmp_path_factory.mktemp("oracle-spark")
    home = home_settings(work / "home")
    home.warehouse_dir.mkdir(parents=True)
    lines = _dataset(people)
    create_warehouse(home.warehouse, {"payment_lines": [dict(line) for line in lines]})
    build_on_spark(
        home,
        work,
        reference_date.isoformat(),
        "run",
        "+fct_monthly_amounts",
        "+fct_yearly_amounts",
        "+fct_last_indemnified_months",
    )
    assert_marts_agree(home.warehouse, lines, reference_date)


def test_both_targets_parse_to_the_same_graph(tmp_path: Path) -> None:
    """Dagster builds its asset graph from the manifest: the spark target gives the same nodes and edges."""
    import json
    import subprocess

    from tests.dbt.warehouse import dbt_args, dbt_env

    graphs = []
    for target in ("warehouse", "spark"):
        work = tmp_path / target
        args = [*dbt_args(work, "parse"), "--target", target]
        done = subprocess.run(args, env=dbt_env(work / "w.duckdb", R), capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout[-3000:]
        nodes = json.loads((work / "target" / "manifest.json").read_text())["nodes"]
        graphs.append({uid: sorted(node["depends_on"]["nodes"]) for uid, node in nodes.items()})
    assert graphs[0] == graphs[1]
    assert len(graphs[0]) > 200
    # the cumulative records the Spark engine carries to and from the warehouse are dbt's
    records = {
        f"{node['schema']}.{node['alias']}"
        for node in nodes.values()
        if node["resource_type"] == "model" and node["config"].get("full_refresh") is False
    }
    assert records == set(spark.RECORDS)


def test_the_raw_tables_spark_registers_are_the_kernels() -> None:
    import yaml

    from kernel import raw_tables
    from kernel.settings import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert project["vars"]["raw_tables"] == [table.name for table in raw_tables.ALL_TABLES]

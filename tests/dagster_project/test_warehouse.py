"""The pipeline names its assets, pool and retry policy in one module, and opens the warehouse one way."""

import ast
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dagster_project
from dagster_project import keys, warehouse
from dagster_project.lock import busy
from kernel.errors import LwwError
from kernel.settings import settings as home_settings
from tests.dagster_project.conftest import held_open

PACKAGE = Path(dagster_project.__file__).parent
# What keys.py alone may construct or spell: an asset key, a retry policy, the pool's name.
DECLARED_ONLY_IN_KEYS = {"AssetKey", "RetryPolicy"}


def _module_spellings(path: Path) -> list[str]:
    found, where = [], path.relative_to(PACKAGE)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in DECLARED_ONLY_IN_KEYS:
            found.append(f"{where}:{node.lineno}: {node.func.attr}(...)")
        named = isinstance(node, ast.keyword) and isinstance(node.value, ast.Name)
        if isinstance(node, ast.keyword) and node.arg in {"pool", "retry_policy"} and not named:
            found.append(f"{where}:{node.lineno}: {node.arg}= not from keys")
    return found


def test_asset_keys_pool_and_retry_policy_are_spelled_only_in_keys():
    spelled = [s for path in sorted(PACKAGE.rglob("*.py")) if path.name != "keys.py" for s in _module_spellings(path)]
    assert spelled == [], "declare these in dagster_project/keys.py and import them from there"


def test_the_runner_instance_allows_one_slot_of_the_pool():
    from dagster_project.runner import DAGSTER_YAML

    assert f"default_limit: {keys.POOL_LIMIT}" in DAGSTER_YAML and keys.POOL_LIMIT == 1


@pytest.fixture
def home(tmp_path):
    home = home_settings(tmp_path / "home").ensure()
    with warehouse.writer(home) as connection:
        connection.execute("CREATE TABLE raw.probe AS SELECT 1 AS n")
    return home


class Boom(Exception):
    pass


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fails=st.booleans(), reads=st.integers(min_value=1, max_value=3))
def test_the_reader_leaves_the_lock_and_the_file_free_however_the_block_ends(home, fails, reads):
    for _ in range(reads):
        try:
            with warehouse.reader(home) as connection:
                assert busy(home.warehouse_lock) is not None, "the reader holds the warehouse lock"
                assert connection.execute("SELECT n FROM raw.probe").fetchone() == (1,)
                with pytest.raises(duckdb.Error):  # read-only: a check cannot write by mistake
                    connection.execute("INSERT INTO raw.probe VALUES (2)")
                if fails:
                    raise Boom
        except Boom:
            pass
    assert busy(home.warehouse_lock) is None
    # closed: a writer (another DuckDB connection, read-write) opens at once
    with warehouse.writer(home) as connection:
        assert connection.execute("SELECT count(*) FROM raw.probe").fetchone() == (1,)


def test_a_warehouse_open_elsewhere_is_named_in_one_line(home):
    with held_open(home.warehouse) as holder, pytest.raises(LwwError) as refused, warehouse.reader(home):
        pass
    assert "\n" not in str(refused.value) and str(holder.pid) in str(refused.value)
    assert busy(home.warehouse_lock) is None

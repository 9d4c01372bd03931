"""R reaches the models from the environment when they execute, so a new R does not make dbt parse again."""

import os
import subprocess

from kernel.settings import DBT_PROJECT_DIR
from tests.dbt.warehouse import DBT, create_warehouse


def test_r_from_the_environment_reaches_the_models_and_keeps_the_parse(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    create_warehouse(warehouse, {})

    def dbt(*args: str, reference_date: str) -> str:
        env = {
            **os.environ,
            "LWW_WAREHOUSE": str(warehouse),
            "LWW_DBT_REFERENCE_DATE": reference_date,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        common += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
        done = subprocess.run([str(DBT), *args, *common], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        return done.stdout

    dbt("parse", reference_date="2026-03-07")
    shown = dbt(
        "show", "--inline", "select {{ reference_date() }} as r, {{ cutoff() }} as c", reference_date="2026-11-07"
    )
    assert "2026-11-07" in shown and "2026-10-31" in shown
    # a new R is not a change of dbt's vars: the project is not parsed again
    assert "Unable to do partial parsing" not in shown


def test_r_in_vars_is_refused_with_both_values(tmp_path):
    """One way to pass R: --vars reference_date is an error naming what --vars and the environment say, not a
    value that silently loses to (or wins over) the other."""
    warehouse = tmp_path / "warehouse.duckdb"
    create_warehouse(warehouse, {})
    env = {
        **os.environ,
        "LWW_WAREHOUSE": str(warehouse),
        "LWW_DBT_REFERENCE_DATE": "2026-11-07",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    common += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    show = ["show", "--inline", "select {{ reference_date() }} as r", "--vars", '{"reference_date": "2026-12-05"}']
    done = subprocess.run([str(DBT), *show, *common], env=env, capture_output=True, text=True, check=False)
    assert done.returncode != 0, done.stdout[-3000:]
    assert "--vars gives 2026-12-05" in done.stdout, done.stdout[-3000:]
    assert "LWW_DBT_REFERENCE_DATE is 2026-11-07" in done.stdout, done.stdout[-3000:]

"""The dbt models and singular tests pass sqlfluff with the project's .sqlfluff (dbt templater), as make lint
runs it: a model that breaks the house style fails here, not only when someone runs the linter."""

import subprocess
import sys
from pathlib import Path

from kernel.settings import PROJECT_ROOT


def test_sqlfluff_passes_on_the_dbt_project():
    env_bin = str(Path(sys.executable).parent)
    done = subprocess.run(
        ["bash", str(PROJECT_ROOT / "dbt" / "lint.sh")],
        env={"PATH": f"{env_bin}:/usr/bin:/bin", "LWW_BIN": env_bin, "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]

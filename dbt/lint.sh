#!/usr/bin/env bash
# sqlfluff over the dbt models and singular tests (config: .sqlfluff at the project root), as make lint runs it.
# The dbt templater compiles each file as dbt does, and the refresh-scoped models read the build's plan from the
# warehouse while they compile: the plan is built first in a throw-away warehouse (the raw tables' contract,
# empty), so the lint never opens data/ and never writes dbt/target. Usage: dbt/lint.sh [sqlfluff lint options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${LWW_BIN:-$root/.venv/bin}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export LWW_WAREHOUSE="$work/lint.duckdb" DBT_TARGET_PATH="$work/target" DBT_LOG_PATH="$work/logs"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
"$bin/python" -c 'import sys, duckdb; from kernel import raw_tables
c = duckdb.connect(sys.argv[1]); raw_tables.create_all(c); c.close()' "$LWW_WAREHOUSE"
(cd "$root/dbt" && "$bin/dbt" run --quiet --select +int_refresh_plan +int_refresh_scope)
cd "$root"
"$bin/sqlfluff" lint dbt/models dbt/tests/*.sql --processes 1 "$@"

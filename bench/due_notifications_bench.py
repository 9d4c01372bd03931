"""What the due notifications add to the monthly refresh: the dbt time of their models and data tests in the
monthly build that bench/refresh_bench.py ran (read from that build's run_results.json in the home's dbt target),
beside the whole build, with the month's right events and the notifications it made due.

The first refresh of refresh_bench.py loads the history (the record notifies nothing of it); its monthly refresh
brings one month of right events as XML, which become visible and due. The node times are dbt's own
(execution_time per model and test); with LWW_DBT_THREADS=1 (the default) they add up to the build's time.

    nice -n 10 .venv/bin/python -m bench.refresh_bench --years 2 --pcsa 40 --people 10000 \\
        --home bench/out/notify-refresh-home --rebuild
    nice -n 10 .venv/bin/python -m bench.due_notifications_bench --home bench/out/notify-refresh-home
"""

import argparse
import json
from pathlib import Path

import duckdb

from bench import OUT, RESULTS, record
from kernel import snapshots
from kernel.settings import settings

MODELS = ("int_right_event_recipients", "fct_due_notifications")


def _ours(unique_id: str) -> bool:
    """A node of the due notifications: one of their models, or a data test of one."""
    kind, _, name = unique_id.split(".", 2)
    return (kind == "model" and name in MODELS) or (kind == "test" and any(model in name for model in MODELS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", default=str(OUT / "notify-refresh-home"))
    parser.add_argument("--output", default=str(RESULTS / "due_notifications_bench.json"))
    args = parser.parse_args()
    home = settings(args.home)
    run = json.loads((home.dbt_target / "run_results.json").read_text())
    nodes = {result["unique_id"]: result["execution_time"] for result in run["results"]}
    ours = {uid: round(seconds, 2) for uid, seconds in nodes.items() if _ours(uid)}
    current = snapshots.current(home.published)
    if current is None:
        raise SystemExit(f"no published snapshot under {home.published}: run bench.refresh_bench first")
    with duckdb.connect(str(home.warehouse), read_only=True) as warehouse:
        (reference_date,) = warehouse.execute("SELECT reference_date FROM intermediate.int_refresh_plan").fetchone()
        plan = warehouse.execute("SELECT is_full, reason FROM intermediate.int_refresh_plan").fetchone()
        record_rows, events_seen, events_due_now, due_now = warehouse.execute(
            "SELECT count(*), count(DISTINCT event_id), "
            "count(DISTINCT event_id) FILTER (WHERE due_reference_date = ?), "
            "count(recipient_cbe_number) FILTER (WHERE due_reference_date = ?) "
            "FROM intermediate.int_right_event_recipients",
            [reference_date, reference_date],
        ).fetchone()
        subscribers = warehouse.execute("SELECT count(*) FROM marts.dim_subscriptions").fetchone()[0]
    with duckdb.connect(str(current.path), read_only=True) as snapshot:
        published_rows = snapshot.execute("SELECT count(*) FROM due_notifications").fetchone()[0]
    results = {
        "home": str(Path(args.home)),
        "reference_date": str(reference_date),
        "plan": {"is_full": plan[0], "reason": plan[1]},
        "dbt_build_elapsed_s": round(run["elapsed_time"], 1),
        "dbt_nodes_sum_s": round(sum(nodes.values()), 1),
        "due_notifications_nodes_s": round(sum(ours.values()), 2),
        "due_notifications_nodes": ours,
        "record_rows": record_rows,
        "events_seen": events_seen,
        "events_first_visible_at_r": events_due_now,
        "notifications_due_at_r": due_now,
        "published_due_notifications": published_rows,
        "subscribers": subscribers,
    }
    print(json.dumps(results, indent=2))
    record(results, args.output)


if __name__ == "__main__":
    main()

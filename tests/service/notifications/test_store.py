"""The store's rules, whatever the subscribers answer: a right's events become ready one at a time in sequence
order, an import is idempotent by ticket, attempts are counted and parked at the maximum."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import delivery_state
from service.notifications.store import IMPORTED, Result, Store


def rows_for(chains: list[int]) -> list[tuple]:
    """One right per chain length (events 1..n), for one recipient; tuples in IMPORTED order."""
    rows = []
    for r, length in enumerate(chains):
        for sequence in range(1, length + 1):
            values = {
                "ticket_cbss": f"t-{r}-{sequence}",
                "due_reference_date": "2026-07-04",
                "recipient_cbe_number": "0200000001",
                "endpoint_url": "http://127.0.0.1:1/x",
                "with_attestation": False,
                "event_id": f"e-{r}-{sequence}",
                "right_id": f"R{r}",
                "sequence": sequence,
                "event_type": "CREATE" if sequence == 1 else "MODIFY",
                "registration_date": "2026-07-01",
                "ssin": "85073100123",
                "attestation_status": 0,
                "pcsa_cbe_number": "0212345678",
                "category": "LIVING_WAGE",
                "household_category": 2,
                "begin_date": "2026-06-01",
                "end_date": None,
                "decision_date": "2026-06-20",
            }
            rows.append(tuple(values[name] for name, _ in IMPORTED))
    random.Random(len(rows)).shuffle(rows)  # the import order does not decide the delivery order
    return rows


@settings(max_examples=40, deadline=None)
@given(
    chains=st.lists(st.integers(1, 4), min_size=1, max_size=12),
    outcomes=st.lists(st.booleans(), min_size=1, max_size=60),
    max_attempts=st.integers(1, 4),
)
def test_events_of_a_right_are_ready_one_at_a_time_in_sequence_order(tmp_path_factory, chains, outcomes, max_attempts):
    folder = tmp_path_factory.mktemp("store")
    writer = Store(folder)
    rows = rows_for(chains)
    assert writer.import_rows("S1", iter([rows])) == (len(rows), len(rows))
    assert writer.import_rows("S2", iter([rows[: len(rows) // 2]])) == (len(rows) // 2, 0)  # by ticket
    delivered: list[tuple[str, int]] = []
    answers = iter(outcomes * 50)
    now = 1.0
    for _ in range(200):
        page = writer.ready_page("0200000001", now, (-1.0, ""), 1000)
        if not page:
            break
        rights = [row["right_id"] for row in page]
        assert len(rights) == len(set(rights))  # one event per right at a time
        for row in page:  # every earlier event of its right is delivered
            assert all((row["right_id"], s) in delivered for s in range(1, row["sequence"]))
        results = [Result(row["ticket"], now, 1.0, 200, "OK" if next(answers) else "NOK") for row in page]
        writer.record(results, max_attempts=max_attempts, backoff=lambda tries: 0.0)
        delivered += [(row["right_id"], row["sequence"]) for row, r in zip(page, results, strict=True) if r.delivered]
        now += 1.0
    connection = delivery_state.open_read_only(folder)
    with connection:
        states = dict(connection.execute("SELECT ticket, state FROM notifications").fetchall())
        attempts = dict(connection.execute("SELECT ticket, count(*) FROM attempts GROUP BY ticket").fetchall())
    writer.close()
    for r, length in enumerate(chains):
        chain = [states[f"t-{r}-{s}"] for s in range(1, length + 1)]
        # delivered events form a prefix; after it at most one parked, then the rest still pending
        done = chain.count("delivered")
        assert chain[:done] == ["delivered"] * done
        assert all(state == "pending" for state in chain[done + 1 :])
        if done < length and chain[done] == "parked":
            assert attempts[f"t-{r}-{done + 1}"] == max_attempts
    assert sorted(delivered) == sorted(set(delivered))  # nothing delivered twice

"""Pure parts: period merging/clipping, Basic parsing, the verification cache, hostile XML, `lww serve` options."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.xmlsafe import UnsafeXml, parse
from service import periods as P
from service.auth import Authenticator, AuthRefused, parse_basic

D = dt.date.fromisoformat


def test_merge_joins_overlapping_and_adjacent_but_not_gaps():
    merged = P.merge(
        [
            (D("2024-03-01"), D("2024-03-31")),
            (D("2024-01-01"), D("2024-01-31")),
            (D("2024-02-01"), D("2024-02-10")),
            (D("2024-02-05"), D("2024-02-20")),
        ]
    )
    assert merged == [(D("2024-01-01"), D("2024-02-20")), (D("2024-03-01"), D("2024-03-31"))]


def test_clip_to_windows():
    windows = [(D("2024-01-15"), D("2024-01-20")), (D("2024-03-10"), D("2024-12-31"))]
    assert P.clip([(D("2024-01-01"), D("2024-03-31"))], windows) == [
        (D("2024-01-15"), D("2024-01-20")),
        (D("2024-03-10"), D("2024-03-31")),
    ]
    assert P.clip([(D("2024-02-01"), D("2024-02-29"))], windows) == []
    assert P.add_years(D("2024-02-29"), 10) == D("2034-02-28")


PERIOD_DAYS = st.integers(dt.date(2020, 1, 1).toordinal(), dt.date(2020, 12, 31).toordinal())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(PERIOD_DAYS, PERIOD_DAYS, st.booleans()), max_size=8))
def test_merge_with_open_ends_is_the_union_of_the_days(drawn):
    """An open end is ``date.max`` (several integrations of one person, one open-ended, once crashed the merge
    when the open one sorted first): the union of the days, whole periods at most, never an overflow."""
    periods = [
        (dt.date.fromordinal(min(a, b)), dt.date.max if open_ else dt.date.fromordinal(max(a, b)))
        for a, b, open_ in drawn
    ]
    merged = P.merge(periods)

    def days(spans):  # every day, with the open end cut at the last day drawn + 2
        last = dt.date(2021, 1, 2)
        return {day for begin, end in spans for day in range(begin.toordinal(), min(end, last).toordinal() + 1)}

    assert days(merged) == days(periods)
    assert all(begin <= end for begin, end in merged)
    assert all((later[0] - earlier[1]).days > 1 for earlier, later in itertools.pairwise(merged))  # apart
    assert sum(end == dt.date.max for _, end in merged) == (1 if any(o for *_, o in drawn) else 0)


def test_add_years_beyond_9999_is_none():
    assert P.add_years(D("9989-12-31"), 10) == D("9999-12-31") and P.add_years(D("9990-01-01"), 10) is None


def test_parse_basic():
    assert parse_basic("Basic dXNlcjpwYTpzcw==") == ("user", "pa:ss")
    assert parse_basic("Bearer x") is None and parse_basic("Basic !!!") is None and parse_basic(None) is None


def test_cache_is_keyed_on_the_stored_hash_and_expires():
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    now = [0.0]
    auth = Authenticator(cache_ttl_s=60, clock=lambda: now[0])
    header = "Basic " + __import__("base64").b64encode(b"u:pw").decode()
    first = {"u": ("0212345668", hasher.hash("pw"))}
    assert auth.authenticate(header, "1.2.3.4", first).cbe_number == "0212345668"
    assert ("u", first["u"][1]) in auth._cache
    # same password, new hash (next snapshot): the old entry does not match; a changed password fails
    with pytest.raises(AuthRefused):
        auth.authenticate(header, "1.2.3.4", {"u": ("0212345668", hasher.hash("other"))})
    now[0] = 61.0  # expired entries are verified again (and still pass)
    assert auth.authenticate(header, "1.2.3.4", first).username == "u"


def test_is_cached_tells_which_requests_can_skip_hashing():
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    now = [0.0]
    auth = Authenticator(cache_ttl_s=60, clock=lambda: now[0])
    b64 = __import__("base64").b64encode
    header, wrong = "Basic " + b64(b"u:pw").decode(), "Basic " + b64(b"u:nope").decode()
    credentials = {"u": ("0212345668", hasher.hash("pw"))}
    assert not auth.is_cached(header, credentials)  # never verified: must hash
    auth.authenticate(header, "1.2.3.4", credentials)
    assert auth.is_cached(header, credentials)
    assert not auth.is_cached(wrong, credentials) and not auth.is_cached(None, credentials)
    assert not auth.is_cached(header, {"u": ("0212345668", hasher.hash("pw"))})  # another hash (next snapshot)
    now[0] = 61.0
    assert not auth.is_cached(header, credentials)  # expired


class _CountingAuthenticator(Authenticator):
    """Counts the hashes (and makes each take a while, so that requests arriving together overlap)."""

    hashes = 0

    def _verify(self, stored_hash: str, password: str) -> bool:
        type(self).hashes += 1
        time.sleep(0.2)
        return Authenticator._verify(stored_hash, password)


def test_a_cache_entry_in_use_does_not_expire_and_an_idle_one_does(monkeypatch):
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    now = [0.0]
    monkeypatch.setattr(_CountingAuthenticator, "hashes", 0)
    auth = _CountingAuthenticator(cache_ttl_s=60, clock=lambda: now[0])
    header = "Basic " + __import__("base64").b64encode(b"u:pw").decode()
    credentials = {"u": ("0212345668", hasher.hash("pw"))}
    for now[0] in (0.0, 50.0, 100.0, 150.0):  # a busy client: never a hash after the first
        assert auth.authenticate(header, "1.2.3.4", credentials).username == "u"
    assert auth.hashes == 1 and auth.is_cached(header, credentials)
    now[0] = 211.0  # unused for more than the TTL: forgotten, hashed again
    assert not auth.is_cached(header, credentials)
    assert auth.authenticate(header, "1.2.3.4", credentials).username == "u" and auth.hashes == 2


def test_requests_arriving_together_hash_their_credentials_once(monkeypatch):
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    monkeypatch.setattr(_CountingAuthenticator, "hashes", 0)
    auth = _CountingAuthenticator(cache_ttl_s=60)
    b64 = __import__("base64").b64encode
    header, wrong = "Basic " + b64(b"u:pw").decode(), "Basic " + b64(b"u:nope").decode()
    credentials = {"u": ("0212345668", hasher.hash("pw"))}
    start = threading.Barrier(8)

    def login(header: str) -> str:
        start.wait()
        try:
            return auth.authenticate(header, "1.2.3.4", credentials).username
        except AuthRefused as refused:
            return str(refused.http_status)

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(login, [header] * 8)) == ["u"] * 8
    assert auth.hashes == 1
    with ThreadPoolExecutor(8) as pool:  # a wrong password is never taken from another request's success
        answers = list(pool.map(login, [wrong] * 4 + [header] * 4))
    assert answers[4:] == ["u"] * 4 and set(answers[:4]) <= {"401", "429"} and auth.hashes == 1 + 4


def test_hostile_xml_is_refused():
    with pytest.raises(UnsafeXml):
        parse(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')
    with pytest.raises(UnsafeXml):
        parse('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>'.encode("utf-16"))
    with pytest.raises(UnsafeXml):
        parse(b"")
    assert parse(b"<a><b>1</b></a>").findtext("b") == "1"


def test_serve_refuses_half_tls_options(tmp_path):
    from lww.cli import main

    assert main(["--home", str(tmp_path), "serve", "--certfile", str(tmp_path / "c.pem")]) == 2
    with pytest.raises(SystemExit):
        main(["--home", str(tmp_path), "serve", "--port", "x"])


def test_serve_refuses_a_keep_alive_under_one_second(tmp_path, capsys):
    from lww.cli import main

    assert main(["--home", str(tmp_path), "serve", "--keep-alive", "0"]) == 2
    assert "--keep-alive 0: expected 1 second or more" in capsys.readouterr().err


def test_serve_stops_at_a_bad_service_setting_before_starting_workers(tmp_path, capsys, monkeypatch):
    from lww.cli import main

    for name, value, expected in [
        ("LWW_SERVICE_WORKERS", "six", "LWW_SERVICE_WORKERS='six': expected a whole number"),
        ("LWW_SERVICE_WORKERS", "0", "LWW_SERVICE_WORKERS='0': expected a whole number, 1 or more"),
        ("LWW_SERVICE_LOAD_MEMORY", "lots", "LWW_SERVICE_LOAD_MEMORY='lots': expected a size such as 4GB"),
        ("LWW_SERVICE_PROCESSES", "2.5", "LWW_SERVICE_PROCESSES='2.5': expected a whole number"),
    ]:
        with monkeypatch.context() as env:
            env.setenv(name, value)
            assert main(["--home", str(tmp_path), "serve", "--port", "1"]) == 2  # before any socket or process
        assert expected in capsys.readouterr().err


def test_a_worker_dying_at_its_start_is_restarted_after_a_doubling_delay():
    from service.workers import MAX_DELAY_S, YOUNG_S, restart_delay

    delays, delay = [], 0.0
    for _ in range(9):
        delay = restart_delay(0.5, delay)
        delays.append(delay)
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60] and MAX_DELAY_S == 60
    assert restart_delay(YOUNG_S + 1, 32.0) == 0  # one that served a while is replaced at once
    assert restart_delay(0.5, restart_delay(YOUNG_S + 1, 32.0)) == 1  # and the doubling starts again


def test_person_index_is_the_same_whatever_the_batch_boundaries():
    import pyarrow as pa

    from service.index import PersonIndex

    day = dt.date
    table = pa.table(
        {
            "person": ["a", "a", "b", "b", "b", "c"],
            "amount_cents": [100, 200, 300, None, 5, 131420],
            "code": ["u", None, "v", "u", "w", "u"],
            "grants": [
                [{"b": day(2024, 1, 1), "e": day(2024, 1, 31)}],
                [],
                [{"b": day(2024, 2, 1), "e": day(2024, 2, 2)}, {"b": day(2024, 2, 5), "e": day(2024, 2, 6)}],
                [{"b": day(2024, 3, 1), "e": None}],
                [],
                [{"b": day(2024, 4, 1), "e": day(2024, 4, 2)}],
            ],
            "when": [day(2020, 1, 1), None, day(2021, 1, 1), day(2021, 1, 1), day(2021, 1, 1), day(2022, 1, 1)],
            "flag": [True, False, None, True, False, True],
        }
    )
    whole = PersonIndex.from_table(table)
    assert whole.rows("c") == [(Decimal("1314.20"), "u", ((day(2024, 4, 1), day(2024, 4, 2)),), day(2022, 1, 1), True)]
    assert whole.rows("a")[1] == (Decimal("2.00"), None, (), None, False) and whole.rows("z") == []
    assert [len(whole.rows(p)) for p in "abc"] == [2, 3, 1]
    for size in (1, 2, 4):
        split = PersonIndex.build(table.to_batches(max_chunksize=size), table.schema)
        assert {p: split.rows(p) for p in "abc"} == {p: whole.rows(p) for p in "abc"}


def test_index_files_memory_mapped_answer_as_the_built_index(tmp_path):
    """What every worker process reads: the index files written once, opened memory-mapped."""
    import numpy as np
    import pyarrow as pa

    from service.index import PersonIndex

    day = dt.date
    table = pa.table(
        {
            "person": ["85010112345", "85010112345", "85010112345", "9001", "9001"],
            "month": [day(2024, 1, 1), day(2024, 2, 1), day(2024, 3, 1), day(2024, 1, 1), day(2025, 1, 1)],
            "amount_cents": [100, 200, 300, 400, 500],
            "other": ["y", None, "z", "y", "y"],
            "grants": [[{"b": day(2024, 1, 1), "e": day(2024, 1, 31)}], [], [], [], []],
        }
    )
    built = PersonIndex.from_table(table)
    for name, array in built.files().items():
        np.save(tmp_path / f"x.{name}.npy", array)
    mapped = PersonIndex.open(tmp_path, "x", built.describe())
    assert isinstance(mapped.people.base, np.memmap)  # mapped, not read into the process
    for person in ("85010112345", "9001", "8501011234", "850101123456", "0"):
        assert mapped.rows(person) == built.rows(person)
    # bounded by the first column (ordered within a person): found by binary search, bounds inclusive
    months = [row[0] for row in mapped.rows("85010112345", day(2024, 2, 1), day(2024, 3, 1))]
    assert months == [day(2024, 2, 1), day(2024, 3, 1)]
    assert mapped.rows("85010112345", day(2024, 4, 1), None) == []
    assert [r[0] for r in mapped.rows("9001", None, day(2024, 12, 1))] == [day(2024, 1, 1)]

"""HTTP Basic authentication of partner institutions against the argon2id hashes of the current snapshot.

Hashing is deliberately slow, so three things keep it from becoming the bottleneck or an attack surface:
- a short cache of successful verifications, keyed by (username, stored hash): a password changed at the next
  snapshot has another hash, so the old entry simply stops matching; the cached value is a keyed digest of
  the password (never the password), compared in constant time. An entry is forgotten once unused for its TTL:
  each use renews it, since hashing the same password against the same hash again could only give the same
  answer, and a fixed expiry made every request of a busy client in flight at that moment hash at once (64
  connections stalled for about a second, every minute, in ``bench/service_bench.py``);
- one verification at a time per stored hash: requests arriving together with credentials not yet cached wait
  for the first one's hash and then find it cached, instead of each paying for the same hash;
- throttling of repeated failures per username (from any address) and per client address (for any username):
  past the limit, requests are refused without hashing (``429``, audited like every request), so a login flood
  cannot burn the CPU nor guess a password by rotating addresses or usernames; the counts live in a store every
  worker process shares (:class:`SharedFailures`), so spreading attempts over the workers does not help either;
- unknown usernames cost the same hash as known ones (against a dummy hash), so timing does not reveal them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kernel import permissions

_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Caller:
    username: str
    cbe_number: str


class AuthRefused(Exception):
    """Credentials missing, wrong, or throttled; ``http_status`` is 401 or 429."""

    def __init__(self, http_status: int, reason: str, username: str | None, retry_after: int | None = None):
        super().__init__(reason)
        self.http_status = http_status
        self.reason = reason
        self.username = username
        self.retry_after = retry_after


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(username, password) from an ``Authorization: Basic`` header, or None when absent or malformed."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        return None
    return username, password


class MemoryFailures:
    """Failure times per key in a sliding window, in this process (a test's, or one process serving alone)."""

    def __init__(self, window_s: float, clock=time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked_for(self, limits: dict[str, int]) -> float:
        """Seconds until every key of ``limits`` (key -> most failures allowed in the window) is under its limit."""
        now, wait = self._clock(), 0.0
        with self._lock:
            for key, limit in limits.items():
                times = self._times.get(key)
                while times and times[0] <= now - self.window_s:
                    times.popleft()
                if times and len(times) >= limit:
                    wait = max(wait, times[0] + self.window_s - now)
        return wait

    def add(self, keys: list[str]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._times.setdefault(key, deque()).append(now)
            if len(self._times) > 50_000:
                self._times = {k: v for k, v in self._times.items() if v and v[-1] > now - self.window_s}


class SharedFailures:
    """:class:`MemoryFailures` in a SQLite file that every worker process of ``lww serve`` uses
    (``$LWW_HOME/run/login-failures.sqlite``): a client cannot spread its attempts over the workers. Wall-clock
    times, so the window holds across a restart. Written on failures only, which cost a password hash anyway.
    Asked on every authentication: each process keeps its last answer per (username, address) until the file or
    its write-ahead log changes (a stat of each; the query cost tens of µs a request on the service's hot path,
    ``bench/README.md``) or, for a refusal, until its wait is over (without a write, failures only age out)."""

    def __init__(self, path: Path, window_s: float, clock=time.time) -> None:
        self.path = path
        self.window_s = window_s
        self._clock = clock
        self._local = threading.local()
        self._wal = path.with_name(path.name + "-wal")
        self._answers: dict[tuple, tuple[tuple, float]] = {}  # limits asked -> (the files' stamp, refused until)
        path.parent.mkdir(parents=True, exist_ok=True)
        permissions.create_secret(path)  # 0600 (SQLite gives its -wal and -shm files the same mode)
        with contextlib.closing(self._connect()) as con:
            con.execute("CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL)")
            con.execute("CREATE INDEX IF NOT EXISTS failures_key_at ON failures (key, at)")

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = self._connect()
        return con

    def _stamp(self) -> tuple[int, ...]:
        """What changes when any process writes: the identity, size and modification time of both files."""
        stamp: list[int] = []
        for path in (self.path, self._wal):
            try:
                found = os.stat(path)
            except FileNotFoundError:
                stamp += (0, 0, 0)
            else:
                stamp += (found.st_ino, found.st_size, found.st_mtime_ns)
        return tuple(stamp)

    def blocked_for(self, limits: dict[str, int]) -> float:
        now, asked, stamp = self._clock(), tuple(limits.items()), self._stamp()
        known = self._answers.get(asked)
        if known is not None and known[0] == stamp and (known[1] == 0.0 or now < known[1]):
            return max(0.0, known[1] - now)
        marks = ", ".join("?" * len(limits))
        rows = self._con().execute(
            f"SELECT key, count(*), min(at) FROM failures WHERE key IN ({marks}) AND at > ? GROUP BY key",
            [*limits, now - self.window_s],
        )
        wait = max((oldest + self.window_s - now for key, count, oldest in rows if count >= limits[key]), default=0.0)
        if len(self._answers) > 10_000:
            self._answers.clear()
        self._answers[asked] = (stamp, now + wait if wait > 0 else 0.0)
        return wait

    def add(self, keys: list[str]) -> None:
        now = self._clock()
        self._answers.clear()
        con = self._con()
        con.executemany("INSERT INTO failures VALUES (?, ?)", [(key, now) for key in keys])
        if secrets.randbelow(64) == 0:  # now and then, the failures out of every window go
            con.execute("DELETE FROM failures WHERE at <= ?", [now - self.window_s])


class Authenticator:
    """Verifies credentials against a snapshot's ``institution_credentials`` (username -> (cbe, hash))."""

    def __init__(
        self,
        *,
        cache_ttl_s: float = 60.0,
        max_failures_per_user: int = 5,
        max_failures_per_ip: int = 20,
        window_s: float = 60.0,
        clock=time.monotonic,
        failures: MemoryFailures | SharedFailures | None = None,
    ) -> None:
        self.cache_ttl_s = cache_ttl_s
        self._clock = clock
        self._key = secrets.token_bytes(32)  # per process: cached digests are useless outside it
        self._cache: dict[tuple[str, str], tuple[bytes, float]] = {}
        self.max_failures_per_user = max_failures_per_user
        self.max_failures_per_ip = max_failures_per_ip
        self.failures = failures or MemoryFailures(window_s, clock)
        self._lock = threading.Lock()
        self._verifying: dict[str, threading.Lock] = {}  # by stored hash (bounded by the credentials, + the dummy)
        self._dummy: str | None = None  # made at the first unknown username (hashing costs at start-up)

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = _HASHER.hash(secrets.token_urlsafe(16))
        return self._dummy

    def _digest(self, password: str) -> bytes:
        return hmac.new(self._key, password.encode("utf-8"), hashlib.sha256).digest()

    def _verified_recently(self, username: str, stored_hash: str, digest: bytes, now: float) -> bool:
        """Whether this password (as ``digest``) was verified against ``stored_hash`` and the entry used within
        the cache's TTL."""
        with self._lock:
            cached = self._cache.get((username, stored_hash))
        return bool(cached and cached[1] > now and hmac.compare_digest(cached[0], digest))

    def _use_cached(self, username: str, stored_hash: str, digest: bytes, now: float) -> bool:
        """:meth:`_verified_recently`, and if so the entry renewed by this use (one look-up, under the lock)."""
        key = (username, stored_hash)
        with self._lock:
            cached = self._cache.get(key)
            if not (cached and cached[1] > now and hmac.compare_digest(cached[0], digest)):
                return False
            self._cache[key] = (digest, now + self.cache_ttl_s)
            return True

    def _remember(self, username: str, stored_hash: str, digest: bytes, now: float) -> None:
        with self._lock:
            self._cache[(username, stored_hash)] = (digest, now + self.cache_ttl_s)
            if len(self._cache) > 10_000:
                self._cache = {k: v for k, v in self._cache.items() if v[1] > now}

    def is_cached(self, header: str | None, credentials: dict[str, tuple[str, str]]) -> bool:
        """Whether :meth:`authenticate` would accept these credentials from its cache, without hashing (the
        service answers such requests on its event loop, and sends the others to a thread)."""
        pair = parse_basic(header)
        known = credentials.get(pair[0]) if pair else None
        return known is not None and self._verified_recently(pair[0], known[1], self._digest(pair[1]), self._clock())

    def authenticate(self, header: str | None, client_ip: str, credentials: dict[str, tuple[str, str]]) -> Caller:
        pair = parse_basic(header)
        if pair is None:
            raise AuthRefused(401, "HTTP Basic credentials are required", None)
        username, password = pair
        now = self._clock()
        # per username whatever the address (rotating addresses), and per address whatever the username
        user_key, ip_key = f"user:{username}", f"ip:{client_ip}"
        wait = self.failures.blocked_for({user_key: self.max_failures_per_user, ip_key: self.max_failures_per_ip})
        if wait > 0:
            raise AuthRefused(429, "too many failed logins: retry later", username, retry_after=int(wait) + 1)

        known = credentials.get(username)
        stored_hash = known[1] if known else self._dummy_hash()
        digest = self._digest(password)
        if known and self._use_cached(username, stored_hash, digest, now):
            return Caller(username, known[0])

        with self._lock:
            verifying = self._verifying.setdefault(stored_hash, threading.Lock())
        with verifying:  # another request may be hashing the same credentials: its answer is ours
            now = self._clock()
            if known and self._use_cached(username, stored_hash, digest, now):
                return Caller(username, known[0])
            ok = self._verify(stored_hash, password) and known is not None
            if ok:
                self._remember(username, stored_hash, digest, now)
        if not ok:  # a success does not clear them: an attacker would get another round after each of the user's
            self.failures.add([user_key, ip_key])
        if not ok:
            raise AuthRefused(401, "unknown user or wrong password", username)
        return Caller(username, known[0])

    @staticmethod
    def _verify(stored_hash: str, password: str) -> bool:
        try:
            return _HASHER.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def hash_password(password: str) -> str:
    """An argon2id hash in the PHC string format (what ``institutions.csv`` holds)."""
    return _HASHER.hash(password)

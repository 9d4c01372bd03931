"""The demo credentials of a simulated home, found again from the seed (``lww demo``'s closing block and
``lww demo --credentials``).

Passwords are never written anywhere (only their argon2id hashes are, in the reference CSVs): they are derived
from the seed (:func:`simulator.reference.password_for`), so the seed and the usernames of the reference CSVs
give them back. Each is checked against its stored hash, so a seed that is not the home's is said so instead of
printing passwords that do not work.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kernel.errors import LwwError
from simulator.institutions import DEMO_INSTITUTION, INSTITUTIONS
from simulator.reference import password_for

DASHBOARD_PREFIX = "user:"  # dashboard users' passwords are derived from "user:<username>"


@dataclass(frozen=True)
class Credential:
    kind: str  # "dashboards" | "service"
    username: str
    password: str
    role: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def credentials(reference: Path, seed: int, *, every_institution: bool = False) -> list[Credential]:
    """The dashboard users, and the demo institution (every institution with ``every_institution``), with
    their passwords for ``seed``. A one-line :class:`LwwError` when the home has no simulated reference data,
    or when the seed is not the one it was simulated with."""
    users, institutions = reference / "users.csv", reference / "institutions.csv"
    if not users.is_file() or not institutions.is_file():
        raise LwwError(f"no simulated reference data in {reference} (users.csv, institutions.csv): run lww demo first")
    demo = next(i.username for i in INSTITUTIONS if i.key == DEMO_INSTITUTION)
    found: list[tuple[str, dict[str, str], str]] = []
    for row in _rows(users):
        partner = row.get("cbe_number")
        role = f"partner analyst of {partner}" if partner else "SPP IS analyst"
        found.append(("dashboards", row, role))
    for row in _rows(institutions):
        if every_institution or row["username"] == demo:
            found.append(("service", row, f"institution {row['name']}, cbeNumber {row['cbe_number']}"))
    hasher = PasswordHasher()
    result = []
    for kind, row, role in found:
        username = row["username"]
        password = password_for(seed, (DASHBOARD_PREFIX if kind == "dashboards" else "") + username)
        try:
            hasher.verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            raise LwwError(
                f"the passwords of {reference} were not made with seed {seed}: give the seed it was simulated "
                "with (lww demo --credentials --seed N)"
            ) from None
        result.append(Credential(kind, username, password, role))
    return result


def lines(found: list[Credential], seed: int) -> list[str]:
    """The printout: a heading, then one line per account."""
    out = [f"Demo credentials (derived from seed {seed}, stored nowhere; lww demo --credentials prints them again):"]
    out += [f"  {c.kind:<11} {c.username:<18} {c.password}  {c.role}" for c in found]
    return out

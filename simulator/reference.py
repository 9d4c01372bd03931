"""Reference data (CONTRACT §3): CPAS, institutions with their credentials, authorisations, dossier
repertories (integrations), notification subscriptions and dashboard users.

Passwords are derived from the seed (so a seed gives the same files byte for byte), returned to be printed,
and never written: only their argon2id hashes (the library's default cost) are. The salt is derived too, for
the same reason; a salt only has to differ between accounts, which it does.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from argon2 import PasswordHasher
from argon2.low_level import Type, hash_secret

from kernel import permissions
from kernel.identifiers import cbe_with_check
from kernel.raw_tables import REFERENCE_FILES
from simulator.days import month_first_day
from simulator.institutions import (
    CPAS_CONSUMERS,
    CPAS_GRANTS,
    DEMO_INSTITUTION,
    DEMO_LEGAL_CONTEXT,
    INSTITUTIONS,
    PARTNER_ANALYST_OF,
    Institution,
)
from simulator.pcsa import Pcsa
from simulator.randomness import stream
from simulator.spells import Population

NOTIFICATION_PORT = 18090
CPAS_QUALITY_CODE = "100"
# A person may be in an institution's repertory twice, in two capacities (quality codes): a few open-ended
# integrations get a second, bounded one beginning later, with the institution's second code.
SECOND_QUALITY_SHARE = 0.02
SECOND_QUALITY_OFFSET = 500


def second_quality_code(quality_code: str) -> str:
    return f"{int(quality_code) + SECOND_QUALITY_OFFSET:03d}"


def password_for(seed: int, username: str) -> str:
    digest = hashlib.sha256(f"lww-demo-password:{seed}:{username}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:16]


@lru_cache(maxsize=256)
def _argon2id(password: str, salt: bytes) -> str:
    hasher = PasswordHasher()  # its defaults are the cost we keep
    return hash_secret(
        password.encode(),
        salt,
        time_cost=hasher.time_cost,
        memory_cost=hasher.memory_cost,
        parallelism=hasher.parallelism,
        hash_len=hasher.hash_len,
        type=Type.ID,
    ).decode()


def password_hash(seed: int, username: str, password: str) -> str:
    salt = hashlib.sha256(f"lww-demo-salt:{seed}:{username}".encode()).digest()[:16]
    return _argon2id(password, salt)


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: str  # what it is, for the printout
    cbe_number: str | None


@dataclass
class Reference:
    """The rows of every reference table, plus what to print for a demo."""

    tables: dict[str, pa.Table]
    accounts: list[Account] = field(default_factory=list)
    demo_username: str = ""
    demo_cbe: str = ""
    demo_legal_context: str = DEMO_LEGAL_CONTEXT
    demo_ssin: str = ""

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.tables.values())


def institution_cbe(position: int) -> str:
    return cbe_with_check(3_100_000 + 37 * position)


def _institution_rows(pcsa: list[Pcsa]) -> list[tuple[str, Institution | None, Pcsa | None]]:
    """(cbe, institution, cpas) for each consumer: the partner institutions, then the consulting CPAS."""
    rows: list[tuple[str, Institution | None, Pcsa | None]] = [
        (institution_cbe(i), inst, None) for i, inst in enumerate(INSTITUTIONS, start=1)
    ]
    rows += [(p.cbe_number, None, p) for p in pcsa[:CPAS_CONSUMERS]]
    return rows


def _people_of_window(population: Population, pcsa: list[Pcsa]) -> dict[str, np.ndarray]:
    """Each person seen in the window (beneficiary or partner): first day, last day, region of the first CPAS."""
    s = population.spells
    who = np.concatenate([s.person, s.partner_a, s.partner_b])
    begin = np.tile(s.begin, 3)
    end = np.tile(s.end, 3)
    where = np.tile(s.pcsa, 3)
    keep = who >= 0
    who, begin, end, where = who[keep], begin[keep], end[keep], where[keep]
    order = np.lexsort((begin, who))
    who, begin, end, where = who[order], begin[order], end[order], where[order]
    persons, first_index = np.unique(who, return_index=True)
    last_end = np.maximum.reduceat(end, first_index)
    regions = np.array([p.region for p in pcsa], dtype=object)
    return {
        "person": persons,
        "begin": begin[first_index],
        "end": last_end,
        "region": regions[where[first_index]],
        "pcsa": where[first_index],
    }


def build_reference(population: Population, pcsa: list[Pcsa], seed: int, first_month: int) -> Reference:
    ssin = population.people.ssin
    consumers = _institution_rows(pcsa)
    accounts: list[Account] = []

    inst_cols: dict[str, list] = {k: [] for k in REFERENCE_FILES["institutions.csv"].column_names}
    auth_cols: dict[str, list] = {k: [] for k in REFERENCE_FILES["authorizations.csv"].column_names}
    sub_cols: dict[str, list] = {k: [] for k in REFERENCE_FILES["subscriptions.csv"].column_names}
    for cbe, inst, cpas in consumers:
        if inst is not None:
            name, sector, username, grants = inst.name, inst.sector, inst.username, inst.grants
        else:
            name, sector, username, grants = f"CPAS de {cpas.name_fr}", 17, f"cpas.{cpas.nis_code}", CPAS_GRANTS
        password = password_for(seed, username)
        accounts.append(Account(username, password, f"institution {name}", cbe))
        inst_cols["cbe_number"].append(cbe)
        inst_cols["name"].append(name)
        inst_cols["sector"].append(sector)
        inst_cols["username"].append(username)
        inst_cols["password_hash"].append(password_hash(seed, username, password))
        for grant in grants:
            auth_cols["cbe_number"].append(cbe)
            auth_cols["operation"].append(grant.operation)
            auth_cols["legal_context"].append(grant.legal_context)
            auth_cols["deliberation"].append(grant.deliberation)
            auth_cols["valid_from"].append(grant.valid_from)
            auth_cols["valid_to"].append(grant.valid_to)
            auth_cols["withheld"].append(grant.withheld)
        if inst is not None and inst.subscribes:
            sub_cols["cbe_number"].append(cbe)
            sub_cols["with_attestation"].append(inst.with_attestation)
            sub_cols["endpoint_url"].append(f"http://127.0.0.1:{NOTIFICATION_PORT}/notifications/{username}")

    # Dossier repertories: a realistic share of the people for each consumer.
    people = _people_of_window(population, pcsa)
    window_begin = month_first_day(first_month - 1)
    rng = stream(seed, "integrations")
    second_rng = stream(seed, "integrations-second-quality")  # its own stream: the first rows stay as they were
    integ: dict[str, list[np.ndarray]] = {"cbe": [], "person": [], "quality": [], "begin": [], "end": []}
    demo_cbe = ""
    demo_person = _demo_person(population, window_begin)
    for position, (cbe, inst, cpas) in enumerate(consumers):
        if inst is not None:
            eligible = np.ones(people["person"].size, dtype=bool)
            if inst.region is not None:
                eligible = people["region"] == inst.region
            chosen = eligible & (rng.random(eligible.size) < inst.share)
            quality = inst.quality_code
        else:
            own = pcsa.index(cpas)
            chosen = (people["pcsa"] == own) | (rng.random(people["person"].size) < 0.02)
            quality = CPAS_QUALITY_CODE
        index = np.flatnonzero(chosen)
        n = index.size
        begin = people["begin"][index] - rng.integers(0, 60, n)
        # Some integrations start late (not covering the whole simulation), some end, most stay open.
        late_start = rng.random(n) < 0.1
        begin = np.where(late_start, np.maximum(begin, window_begin + rng.integers(30, 300, n)), begin)
        ends = rng.random(n) < 0.3
        end = np.where(ends, np.maximum(begin + 30, people["end"][index] + rng.integers(0, 90, n)), -1)
        if inst is not None and inst.key == DEMO_INSTITUTION:
            demo_cbe = cbe
            keep = people["person"][index] != demo_person
            index, begin, end = index[keep], begin[keep], end[keep]
            index = np.append(index, np.flatnonzero(people["person"] == demo_person))
            begin = np.append(begin, window_begin - 365)
            end = np.append(end, -1)
        integ["cbe"].append(np.full(index.size, position))
        integ["person"].append(people["person"][index])
        integ["quality"].append(np.full(index.size, quality, dtype=object))
        integ["begin"].append(begin)
        integ["end"].append(end)
        if inst is not None:  # a second capacity for a few people (the demo person too): the open row sorts first
            second = (end < 0) & (second_rng.random(index.size) < SECOND_QUALITY_SHARE)
            if inst.key == DEMO_INSTITUTION and index.size and people["person"][index[-1]] == demo_person:
                second[-1] = True
            twice = np.flatnonzero(second)
            second_begin = begin[twice] + second_rng.integers(30, 400, twice.size)
            integ["cbe"].append(np.full(twice.size, position))
            integ["person"].append(people["person"][index[twice]])
            integ["quality"].append(np.full(twice.size, second_quality_code(quality), dtype=object))
            integ["begin"].append(second_begin)
            integ["end"].append(second_begin + second_rng.integers(30, 365, twice.size))
    cbes = pa.array([c for c, _, _ in consumers])
    person = np.concatenate(integ["person"])
    end = np.concatenate(integ["end"])
    integrations = pa.Table.from_arrays(
        [
            cbes.take(pa.array(np.concatenate(integ["cbe"]))),
            ssin.take(pa.array(person)),
            pa.array(np.concatenate(integ["quality"]), pa.string()),
            pa.array(np.concatenate(integ["begin"]).astype(np.int32)).cast(pa.date32()),
            pa.array(end.astype(np.int32), pa.int32(), mask=end < 0).cast(pa.date32()),
        ],
        schema=REFERENCE_FILES["integrations.csv"].arrow_schema,
    )

    users = {k: [] for k in REFERENCE_FILES["users.csv"].column_names}
    partner_cbe = next(c for c, inst, _ in consumers if inst is not None and inst.key == PARTNER_ANALYST_OF)
    for username, role, cbe in (("analyst", "ANALYST", None), ("partner.analyst", "PARTNER_ANALYST", partner_cbe)):
        password = password_for(seed, f"user:{username}")
        accounts.append(Account(username, password, f"dashboard user {role}", cbe))
        users["username"].append(username)
        users["password_hash"].append(password_hash(seed, f"user:{username}", password))
        users["role"].append(role)
        users["cbe_number"].append(cbe)

    pcsa_table = {
        "cbe_number": [p.cbe_number for p in pcsa],
        "nis_code": [p.nis_code for p in pcsa],
        "name_fr": [p.name_fr for p in pcsa],
        "name_nl": [p.name_nl for p in pcsa],
        "region": [p.region for p in pcsa],
    }
    tables = {
        "pcsa.csv": pa.table(pcsa_table, schema=REFERENCE_FILES["pcsa.csv"].arrow_schema),
        "institutions.csv": pa.table(inst_cols, schema=REFERENCE_FILES["institutions.csv"].arrow_schema),
        "authorizations.csv": pa.table(
            {
                **auth_cols,
                "valid_from": [from_iso(v) for v in auth_cols["valid_from"]],
                "valid_to": [from_iso(v) for v in auth_cols["valid_to"]],
            },
            schema=REFERENCE_FILES["authorizations.csv"].arrow_schema,
        ),
        "integrations.csv": integrations,
        "subscriptions.csv": pa.table(sub_cols, schema=REFERENCE_FILES["subscriptions.csv"].arrow_schema),
        "users.csv": pa.table(users, schema=REFERENCE_FILES["users.csv"].arrow_schema),
    }
    return Reference(
        tables=tables,
        accounts=accounts,
        demo_username=next(c.username for c in INSTITUTIONS if c.key == DEMO_INSTITUTION),
        demo_cbe=demo_cbe,
        demo_ssin=ssin[demo_person].as_py() if demo_person >= 0 else "",
    )


def from_iso(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _demo_person(population: Population, window_begin: int) -> int:
    """A beneficiary paid through most of the window, for the printed demo consultation."""
    s = population.spells
    candidates = np.flatnonzero(s.paid & (s.allowance == 0) & (s.begin <= window_begin))
    if not candidates.size:
        candidates = np.flatnonzero(s.paid)
    if not candidates.size:
        return -1
    best = candidates[np.argmax(s.end[candidates])]
    return int(s.person[best])


def _as_text(column: pa.ChunkedArray) -> list[str]:
    """A column as CSV text, vectorised: ISO dates, digits, ``true``/``false``, empty for null."""
    return pc.fill_null(pc.cast(column, pa.string()), "").to_pylist()


def write_reference(reference: Reference, folder: Path) -> None:
    """One CSV per table: header row, UTF-8, comma, quotes only where a value needs them, ISO dates."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in reference.tables.items():
        partial = folder / f".{name}.partial"
        secret = "password_hash" in table.column_names  # 0600 whatever the umask (kernel.permissions)
        opener = permissions.open_secret if secret else None
        with open(partial, "w", encoding="utf-8", newline="", opener=opener) as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(table.column_names)
            columns = [_as_text(column) for column in table.columns]
            writer.writerows(zip(*columns, strict=True))
        partial.replace(folder / name)


def describe(reference: Reference) -> list[str]:
    """The lines printed at the end of ``lww simulate``: demo credentials (never stored anywhere)."""
    lines = ["Demo credentials (not stored; derived from the seed: lww demo --credentials prints them again):"]
    for account in reference.accounts:
        cbe = f"  cbe {account.cbe_number}" if account.cbe_number else ""
        lines.append(f"  {account.username:<18} {account.password}  {account.role}{cbe}")
    lines.append(
        f"Try a consultation as {reference.demo_username} (cbeNumber {reference.demo_cbe}), legal context "
        f"{reference.demo_legal_context}, for SSIN {reference.demo_ssin} (integrated for it)."
    )
    return lines

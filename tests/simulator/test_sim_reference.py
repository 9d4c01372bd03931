"""Reference CSVs: exact columns, consistent keys, real operation names, argon2id hashes of the printed
passwords, and a demo consultation that can work."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
from argon2 import PasswordHasher

from kernel.identifiers import is_valid_cbe, is_valid_ssin
from kernel.raw_tables import REFERENCE_FILES
from simulator.institutions import EXTRACT, OPERATIONS, SERVICE_WILDCARDS


def _rows(run, name: str) -> list[dict[str, str]]:
    with open(run.settings.reference / name, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == REFERENCE_FILES[name].column_names  # the exact columns, in order
        return list(reader)


def _printed_passwords(run) -> dict[str, str]:
    passwords = {}
    for line in run.summary.credentials:
        match = re.match(r"\s+(\S+)\s+(\S{16})\s", line)
        if match:
            passwords[match[1]] = match[2]
    return passwords


@pytest.mark.parametrize("name", sorted(REFERENCE_FILES))
def test_every_reference_file_has_the_contract_columns(small_run, name: str) -> None:
    assert _rows(small_run, name)


def test_cpas_file(small_run) -> None:
    rows = _rows(small_run, "pcsa.csv")
    assert len(rows) == 6
    assert all(is_valid_cbe(r["cbe_number"]) and re.fullmatch(r"\d{5}", r["nis_code"]) for r in rows)
    assert {r["region"] for r in rows} == {"FLANDERS", "WALLONIA", "BRUSSELS"}
    assert {r["cbe_number"] for r in rows} == {line["pcsa_cbe_number"] for line in small_run.lines}


def test_institutions_authorisations_and_subscriptions_are_consistent(small_run) -> None:
    institutions = {r["cbe_number"]: r for r in _rows(small_run, "institutions.csv")}
    assert all(is_valid_cbe(cbe) for cbe in institutions)
    assert len({r["username"] for r in institutions.values()}) == len(institutions)
    names = " ".join(r["name"] for r in institutions.values())
    for expected in (
        "ONEM",
        "INAMI",
        "SPF Finances",
        "mutualités",
        "VDAB",
        "Actiris",
        "Forem",
        "Opgroeien",
        "Iriscare",
        "AVIQ",
        "INASTI",
        "KBI",
        "ONSS",
        "ONVA",
        "CTIF",
        "Police",
        "FIDUS",
        "CPAS",
    ):
        assert expected in names, expected
    sectors = {r["username"]: int(r["sector"]) for r in institutions.values()}
    assert sectors["onem"] == 18 and sectors["inami"] == 21 and sectors["cin"] == 11
    assert sectors["vdab"] == 53 and sectors["actiris"] == 54 and sectors["forem"] == 55

    authorizations = _rows(small_run, "authorizations.csv")
    assert {a["cbe_number"] for a in authorizations} == set(institutions)
    assert all(a["operation"] in (*OPERATIONS, *SERVICE_WILDCARDS, EXTRACT) for a in authorizations)
    # the yearly extract (CONTRACT §7) is granted to SPF Finances, its recipient, alone
    assert {institutions[a["cbe_number"]]["username"] for a in authorizations if a["operation"] == EXTRACT} == {
        "spf.finances"
    }
    assert {"00/036", "07/025", "99/107", "01/090"} <= {a["deliberation"] for a in authorizations}
    today = dt.date(2026, 11, 27)
    expired = [a for a in authorizations if a["valid_to"] and dt.date.fromisoformat(a["valid_to"]) < today]
    assert len(expired) >= 2
    assert all(dt.date.fromisoformat(a["valid_from"]) <= today for a in authorizations)
    assert {"SOCIAL_TARIFF", "HEALTH_CARE_INSURANCE", "FAMILY_ALLOWANCES"} <= {
        a["legal_context"] for a in authorizations
    }

    subscriptions = _rows(small_run, "subscriptions.csv")
    subscribers = {institutions[s["cbe_number"]]["username"] for s in subscriptions}
    assert subscribers == {"cin", "opgroeien", "iriscare", "aviq", "actiris", "inasti", "vdi"}
    assert {s["with_attestation"] for s in subscriptions} == {"true", "false"}
    assert all(s["endpoint_url"].startswith("http://127.0.0.1:") for s in subscriptions)
    notified = {a["cbe_number"] for a in authorizations if a["operation"] == "LivingWagesNotifications:*"}
    assert {s["cbe_number"] for s in subscriptions} <= notified  # subscribers are authorised for it


def test_integrations_name_known_institutions_and_people(small_run) -> None:
    institutions = {r["cbe_number"]: r["username"] for r in _rows(small_run, "institutions.csv")}
    integrations = _rows(small_run, "integrations.csv")
    people = {line["ssin"] for line in small_run.lines} | {e["ssin"] for e in small_run.events}
    people |= {line["partner_ssin"] for line in small_run.lines if line["partner_ssin"]}
    assert {i["cbe_number"] for i in integrations} <= set(institutions)
    assert all(is_valid_ssin(i["ssin"]) for i in integrations)
    # Mostly people of the upstream; a few not (yet) in it, so "no data found" answers happen too.
    known = sum(i["ssin"] in people for i in integrations)
    assert 0.9 * len(integrations) < known < len(integrations)
    assert all(not i["end_date"] or i["end_date"] >= i["begin_date"] for i in integrations)
    assert any(i["end_date"] for i in integrations) and any(not i["end_date"] for i in integrations)
    assert any(i["begin_date"] > "2024-01-01" for i in integrations)  # some do not cover the whole window
    share = {}
    for cbe, username in institutions.items():
        share[username] = len({i["ssin"] for i in integrations if i["cbe_number"] == cbe}) / len(people)
    assert share["cin"] > 0.7 and share["ctif"] < 0.1  # a realistic share for each


def test_hashes_are_argon2id_and_verify_with_the_printed_passwords(small_run) -> None:
    passwords = _printed_passwords(small_run)
    hasher = PasswordHasher()
    institutions = _rows(small_run, "institutions.csv")
    users = _rows(small_run, "users.csv")
    assert {u["role"] for u in users} == {"ANALYST", "PARTNER_ANALYST"}
    partner = next(u for u in users if u["role"] == "PARTNER_ANALYST")
    assert partner["cbe_number"] in {r["cbe_number"] for r in institutions}
    checked = 0
    for row in [*institutions[:3], *users]:
        assert row["password_hash"].startswith("$argon2id$")
        assert hasher.verify(row["password_hash"], passwords[row["username"]])
        checked += 1
    assert checked == 5
    stored = "".join(path.read_text() for path in small_run.settings.reference.glob("*.csv"))
    assert not any(password in stored for password in passwords.values())  # never stored


def test_the_printed_demo_person_is_integrated_for_the_demo_institution(small_run) -> None:
    demo = small_run.summary.credentials[-1]
    match = re.search(r"as (\S+) \(cbeNumber (\d{10})\), legal context (\S+), for SSIN (\d{11})", demo)
    assert match, demo
    _username, cbe, context, ssin = match.groups()
    integrations = _rows(small_run, "integrations.csv")
    assert any(i["cbe_number"] == cbe and i["ssin"] == ssin and not i["end_date"] for i in integrations)
    authorizations = _rows(small_run, "authorizations.csv")
    operations = {a["operation"] for a in authorizations if a["cbe_number"] == cbe and a["legal_context"] == context}
    assert {"LivingWages:*", "LivingWagesWithAmount:*"} <= operations
    assert any(line["ssin"] == ssin for line in small_run.lines)


def test_some_people_are_integrated_twice_by_one_institution_the_open_row_first(small_run) -> None:
    """Several rows of one institution for one person are legal (other quality codes); the service once crashed
    when an open-ended one sorted first, so the simulated repertories hold such people, the demo person too."""
    by_key: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in _rows(small_run, "integrations.csv"):
        by_key.setdefault((row["cbe_number"], row["ssin"]), []).append(row)
    twice = [sorted(rows, key=lambda r: r["begin_date"]) for rows in by_key.values() if len(rows) > 1]
    assert len({cbe for (cbe, _), rows in by_key.items() if len(rows) > 1}) >= 3  # several institutions
    assert 5 <= len(twice) < 0.05 * len(by_key)  # a few people
    for first, second in (rows[:2] for rows in twice):
        assert first["quality_code"] != second["quality_code"]
        assert not first["end_date"] and second["end_date"] and first["begin_date"] < second["begin_date"]
    demo = small_run.summary.credentials[-1]
    cbe, ssin = re.search(r"\(cbeNumber (\d{10})\).*for SSIN (\d{11})", demo).groups()
    assert len(by_key[cbe, ssin]) == 2

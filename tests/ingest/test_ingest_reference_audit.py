"""Reference CSVs and the service's audit log, loaded into real raw tables; bad input keeps what was there."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher

from ingest import load_audit, load_reference
from kernel.audit import FIELDS
from kernel.errors import LwwError
from tests.ingest.ingest_builders import CPAS_A, CPAS_B, drop, ssin, write_pcsa

# A fixed salt: the hash appears in test ids, which must be the same in every test worker.
HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("demo", salt=b"fixed-test-salt!")
INSTITUTION = "0206731645"  # a valid CBE number


def write_all(reference):
    write_pcsa(reference)
    drop(
        reference,
        "institutions.csv",
        f'cbe_number,name,sector,username,password_hash\n{INSTITUTION},ONEM,18,onem,"{HASH}"\n',
    )
    drop(
        reference,
        "authorizations.csv",
        "cbe_number,operation,legal_context,deliberation,valid_from,valid_to\n"
        f"{INSTITUTION},LivingWagesWithAmount:*,UNEMPLOYMENT,99/107,2020-01-01,\n"
        f"{INSTITUTION},getLivingWages,UNEMPLOYMENT,,2020-01-01,2030-12-31\n",
    )
    drop(
        reference,
        "integrations.csv",
        f"cbe_number,ssin,quality_code,begin_date,end_date\n{INSTITUTION},{ssin(1)},1,2024-01-01,\n",
    )
    drop(
        reference,
        "subscriptions.csv",
        f"cbe_number,with_attestation,endpoint_url\n{INSTITUTION},false,http://127.0.0.1:9/notify\n",
    )
    drop(
        reference,
        "users.csv",
        "username,password_hash,role,cbe_number\n"
        f'analyst,"{HASH}",ANALYST,\npartner,"{HASH}",PARTNER_ANALYST,{INSTITUTION}\n',
    )


def test_every_reference_file_is_loaded(home, warehouse):
    write_all(home.reference)
    report = load_reference(warehouse, home)
    assert report.missing == []
    assert report.loaded == {
        "ref_pcsa": 2,
        "ref_institutions": 1,
        "ref_authorizations": 2,
        "ref_integrations": 1,
        "ref_subscriptions": 1,
        "ref_users": 2,
    }
    assert warehouse.execute("SELECT cbe_number, nis_code FROM raw.ref_pcsa ORDER BY 1").fetchall() == [
        (CPAS_A, "21001"),
        (CPAS_B, "21002"),
    ]
    assert warehouse.execute("SELECT valid_to FROM raw.ref_authorizations ORDER BY operation").fetchall() == [
        (None,),  # LivingWagesWithAmount:* sorts before getLivingWages
        (dt.date(2030, 12, 31),),
    ]
    assert warehouse.execute("SELECT cbe_number FROM raw.ref_users ORDER BY username").fetchall() == [
        (None,),
        (INSTITUTION,),
    ]
    assert warehouse.execute("SELECT with_attestation FROM raw.ref_subscriptions").fetchone() == (False,)


def test_a_reload_replaces_the_tables_whole(home, warehouse):
    write_pcsa(home.reference, (CPAS_B,))
    load_reference(warehouse, home)
    assert warehouse.execute("SELECT cbe_number FROM raw.ref_pcsa").fetchall() == [(CPAS_B,)]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        ("pcsa.csv", CPAS_B, "0212345679", r"pcsa\.csv, line 3, column cbe_number"),
        ("pcsa.csv", "BRUSSELS\n", "MARS\n", r"pcsa\.csv, line 2, column region"),
        ("institutions.csv", f'"{HASH}"', "demo", r"institutions\.csv, line 2, column password_hash.*clear password"),
        ("authorizations.csv", "2020-01-01,2030", "2020-01-01,2019", r"line 3, column valid_to"),
        ("authorizations.csv", "2020-01-01,\n", "2020-13-01,\n", r"line 2, column valid_from"),
        ("integrations.csv", ssin(1), "85073003329", r"integrations\.csv, line 2, column ssin"),
        (  # the same integration twice, the second on line 4 (set-based check: the file can be large)
            "integrations.csv",
            ",2024-01-01,\n",
            f",2024-01-01,\n{INSTITUTION},{ssin(2)},1,2024-01-01,\n{INSTITUTION},{ssin(1)},1,2024-01-01,2025-01-01\n",
            r"integrations\.csv, line 4, column cbe_number: .*'1', datetime\.date\(2024, 1, 1\)\) already on line 2",
        ),
        ("users.csv", "ANALYST,\n", f"ANALYST,{INSTITUTION}\n", r"users\.csv, line 2, column cbe_number"),
        ("users.csv", "role,", "rôle,", r"users\.csv, line 1: header must be exactly"),
        ("subscriptions.csv", ",false,", ",no,", r"line 2, column with_attestation"),
    ],
)
def test_a_bad_reference_file_names_file_line_and_column_and_keeps_the_previous_data(
    home, warehouse, name, old, new, expected
):
    write_all(home.reference)
    load_reference(warehouse, home)
    before = warehouse.execute("SELECT count(*) FROM raw.ref_users").fetchone()
    path = home.reference / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(LwwError, match=expected):
        load_reference(warehouse, home)
    assert warehouse.execute("SELECT count(*) FROM raw.ref_pcsa").fetchone() == (2,)
    assert warehouse.execute("SELECT count(*) FROM raw.ref_users").fetchone() == before


def record(record_id: str, **changes) -> dict:
    base = {name: None for name in FIELDS}
    base.update(
        record_id=record_id,
        logged_at="2026-04-04T10:00:00.123456Z",
        channel="SOAP",
        ticket_cbss="t-" + record_id,
        status_code="MSG00000",
        http_status=200,
        duration_ms=12.5,
        ssin=ssin(1),
        period_begin="2026-01-01",
    )
    base.update(changes)
    return base


def write_audit(home, name: str, records: list[dict], tail: str = "") -> None:
    body = "".join(json.dumps(r) + "\n" for r in records) + tail
    drop(home.audit, name, body)


def test_audit_records_are_loaded_idempotently_and_partial_lines_wait(home, warehouse):
    write_audit(home, "audit-20260404-100000-1.jsonl", [record("a"), record("b")], tail='{"record_id": "c", "lo')
    report = load_audit(warehouse, home)
    assert (report.read, report.inserted) == (2, 2)
    row = warehouse.execute(
        "SELECT logged_at, period_begin, duration_ms, http_status FROM raw.audit_log WHERE record_id = 'a'"
    ).fetchone()
    assert row == (dt.datetime(2026, 4, 4, 10, 0, 0, 123456), dt.date(2026, 1, 1), 12.5, 200)
    assert load_audit(warehouse, home).inserted == 0
    write_audit(home, "audit-20260404-100000-1.jsonl", [record("a"), record("b"), record("c")])
    write_audit(home, "audit-20260405-000000-2.jsonl", [record("d"), record("a")])
    assert load_audit(warehouse, home).inserted == 2
    ids = warehouse.execute("SELECT record_id FROM raw.audit_log ORDER BY 1").fetchall()
    assert ids == [("a",), ("b",), ("c",), ("d",)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("not json", r"line 2: not JSON"),
        (json.dumps({"record_id": "x"}), r"line 2: not an audit record \(missing"),
        (json.dumps(record("x", http_status="200")), r"line 2, field http_status"),
        (json.dumps(record("x", status_code=None)), r"line 2, field status_code"),
    ],
)
def test_a_bad_audit_line_is_a_clear_error_and_loads_nothing(home, warehouse, line, expected):
    drop(home.audit, "audit-20260404-100000-1.jsonl", json.dumps(record("a")) + "\n" + line + "\n")
    with pytest.raises(LwwError, match=expected):
        load_audit(warehouse, home)
    assert warehouse.execute("SELECT count(*) FROM raw.audit_log").fetchone() == (0,)

"""A small published snapshot, built with the contract's DDL and published with the kernel's protocol.
Figures are chosen so that a test can state them by hand. (A module with a name of its own, rather than
``conftest``, so that test modules can import its constants whatever other conftest files are loaded.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import duckdb
from argon2 import PasswordHasher

from kernel import published, snapshots
from kernel.calendar import add_months, cutoff, month_age
from kernel.identifiers import cbe_with_check, ssin_with_check

APP = Path(__file__).resolve().parents[2] / "dashboards" / "streamlit_app.py"
R = dt.date(2026, 7, 4)
GENT = cbe_with_check(2071520)  # Flanders
NAMUR = cbe_with_check(2071640)  # Wallonia
BRUXELLES = cbe_with_check(2071880)  # Brussels
CIN = cbe_with_check(4110000)
INAMI = cbe_with_check(2065850)
PERSON = ssin_with_check("850730", 33, False)
PARTNER = ssin_with_check("870212", 44, False)
ANALYST = ("ana", "ana-secret-1")
PARTNER_ANALYST = ("pia", "pia-secret-2")
MONTHS = [add_months(dt.date(2025, 3, 1), i) for i in range(16)]  # 2025-03 .. 2026-06
BASE = {GENT: 20, NAMUR: 12, BRUXELLES: 30}
REGION = {GENT: "FLANDERS", NAMUR: "WALLONIA", BRUXELLES: "BRUSSELS"}
FULL_CAT2 = Decimal("1314.20")
FULL_CAT1 = Decimal("876.13")


def status(month: dt.date, reference_date: dt.date = R) -> str:
    return "PROVISIONAL" if month_age(month, reference_date) < 3 else "FINAL"


def agg_rows(factor: int = 1) -> list[tuple]:
    """agg_monthly_pcsa: living wage cat. 2 in the three CPAS, equivalent cat. 1 (3 people) in Brussels.

    In March 2026 (age 3 at R) two of Gent's beneficiaries still have an open rejection: CONSOLIDATING.
    """
    rows = []
    for index, month in enumerate(MONTHS):
        for cbe, base in BASE.items():
            people = (base + index) * factor
            rejected = 1 if cbe == NAMUR else 0
            if cbe == GENT and month == dt.date(2026, 3, 1):
                parts = [("FINAL", people - 2, 0), ("CONSOLIDATING", 2, 1)]
            else:
                parts = [(status(month), people, rejected)]
            for finality, count, rejections in parts:
                rows.append(
                    (
                        month,
                        cbe,
                        REGION[cbe],
                        "LIVING_WAGE",
                        2,
                        finality,
                        count,
                        count,
                        1,
                        FULL_CAT2 * count,
                        count,
                        rejections,
                    )
                )
        rows.append(
            (month, BRUXELLES, "BRUSSELS", "EQUIVALENT_LIVING_WAGE", 1, status(month), 3, 3, 0, FULL_CAT1 * 3, 3, 0)
        )
    return rows


def history_rows() -> list[tuple]:
    """amount_history for Gent's living wage, months 2026-01..2026-05: 90 %, 98 %, then 100 % of the total."""
    rows = []
    for month in MONTHS[-6:-1]:
        people = BASE[GENT] + MONTHS.index(month)
        total = FULL_CAT2 * people
        for step in range(6):
            reference_date = add_months(month, 1 + step) + dt.timedelta(days=3)
            if reference_date > R:
                break
            share = (Decimal("0.90"), Decimal("0.98"))[step] if step < 2 else Decimal("1")
            rows.append(
                (
                    reference_date,
                    month,
                    GENT,
                    "LIVING_WAGE",
                    status(month, reference_date),
                    people,
                    (total * share).quantize(Decimal("0.01")),
                )
            )
    return rows


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)


def publish_fixture(
    home: Path,
    *,
    factor: int = 1,
    reference_date: dt.date = R,
    extra_users: tuple[tuple, ...] = (),
    extra_rows: Mapping[str, list[tuple]] | None = None,
) -> str:
    """Build and publish the fixture snapshot under ``home``; returns its refresh id. ``extra_rows``: more rows
    of some tables (CPAS of ``dim_pcsa``, cells of ``agg_monthly_pcsa``, ...), inserted before publication."""
    published_dir = home / "published"
    refresh_id = snapshots.new_refresh_id(reference_date)
    staged = snapshots.staging_path(published_dir, refresh_id)
    hasher = PasswordHasher()
    con = duckdb.connect(str(staged))
    try:
        for table in (*published.TABLES, published.SNAPSHOT_INFO):
            con.execute(table.ddl())
        _insert(
            con,
            "dim_pcsa",
            [
                (GENT, "44021", "Gand", "Gent", "FLANDERS"),
                (NAMUR, "92094", "Namur", "Namen", "WALLONIA"),
                (BRUXELLES, "21004", "Bruxelles", "Brussel", "BRUSSELS"),
            ],
        )
        _insert(con, "dim_institutions", [(CIN, "CIN", 11), (INAMI, "INAMI", 21)])
        _insert(
            con,
            "dashboard_users",
            [
                (ANALYST[0], hasher.hash(ANALYST[1]), "ANALYST", None),
                (PARTNER_ANALYST[0], hasher.hash(PARTNER_ANALYST[1]), "PARTNER_ANALYST", CIN),
                *extra_users,
            ],
        )
        _insert(con, "agg_monthly_pcsa", agg_rows(factor))
        _insert(con, "amount_history", history_rows())
        _insert(
            con,
            "dq_rejections",
            [
                (dt.date(2026, 4, 1), NAMUR, "LIVING_WAGE", "R01", 3, Decimal("3942.60")),
                (dt.date(2026, 4, 1), GENT, "LIVING_WAGE", "R02", 7, Decimal("9199.40")),
                (dt.date(2026, 5, 1), NAMUR, "LIVING_WAGE", "R03", 1, Decimal("1314.20")),
            ],
        )
        _insert(
            con,
            "dq_open_rejections",
            [
                ("L-1", PERSON, dt.date(2026, 5, 1), NAMUR, "LIVING_WAGE", "R01", Decimal("1314.20"), 1, False),
                ("L-2", PERSON, dt.date(2026, 3, 1), GENT, "LIVING_WAGE", "R02", Decimal("1314.20"), 3, False),
                ("L-3", PARTNER, dt.date(2025, 11, 1), GENT, "LIVING_WAGE", "R02", Decimal("657.10"), 7, True),
            ],
        )
        _insert(
            con,
            "dq_late_revisions",
            [
                (
                    "L-9",
                    PERSON,
                    dt.date(2025, 8, 1),
                    GENT,
                    "LIVING_WAGE",
                    dt.date(2026, 4, 10),
                    "ACCEPTED",
                    Decimal("120.00"),
                    8,
                ),
            ],
        )
        _insert(
            con,
            "dq_payments_outside_rights",
            [
                ("L-7", PERSON, dt.date(2026, 2, 1), NAMUR, "LIVING_WAGE", Decimal("438.07"), 10),
                ("L-8", PARTNER, dt.date(2026, 2, 1), NAMUR, "LIVING_WAGE", Decimal("876.13"), 20),
            ],
        )
        _insert(
            con,
            "quarantined_files",
            [
                (
                    "Q-1",
                    "payments-2026-05.xml",
                    "payments",
                    "F-17",
                    dt.datetime(2026, 6, 2, 3, 0),
                    "replacesLineId points to no known line",
                    42,
                    "replacesLineId",
                    1,
                    None,
                ),
            ],
        )
        _insert(
            con,
            "right_events",
            [
                (
                    "E-1",
                    "RIGHT-1",
                    1,
                    "CREATE",
                    PERSON,
                    GENT,
                    "LIVING_WAGE",
                    2,
                    dt.date(2026, 1, 1),
                    None,
                    dt.date(2025, 12, 1),
                    dt.date(2026, 1, 10),
                    dt.date(2026, 1, 12),
                    True,
                    40,
                    2,
                    True,
                    False,
                    False,
                ),
                (
                    "E-2",
                    "RIGHT-2",
                    1,
                    "CREATE",
                    PARTNER,
                    NAMUR,
                    "LIVING_WAGE",
                    1,
                    dt.date(2026, 2, 1),
                    None,
                    dt.date(2026, 1, 20),
                    dt.date(2026, 2, 5),
                    dt.date(2026, 2, 15),
                    True,
                    16,
                    10,
                    False,
                    True,
                    False,
                ),
                (
                    "E-3",
                    "RIGHT-2",
                    2,
                    "MODIFY",
                    PARTNER,
                    NAMUR,
                    "LIVING_WAGE",
                    2,
                    dt.date(2026, 2, 1),
                    None,
                    dt.date(2026, 1, 20),
                    dt.date(2026, 2, 5),
                    dt.date(2026, 2, 8),
                    True,
                    16,
                    3,
                    False,
                    False,
                    False,
                ),
            ],
        )
        logged = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)  # a moment before
        _insert(
            con,
            "consultations",
            [
                ("C-1", logged, "SOAP", INAMI, "INAMI", "ctx", "getLivingWages", "DATA_FOUND", "MSG00000", 200, 12.0),
                ("C-2", logged, "SOAP", INAMI, "INAMI", "ctx", "getLivingWages", "DATA_FOUND", "MSG00000", 200, 14.0),
                ("C-3", logged, "SOAP", INAMI, "INAMI", "ctx", "getLivingWages", "NO_RESULT", "MSG00012", 200, 9.0),
                (
                    "C-4",
                    logged,
                    "JSON",
                    CIN,
                    "CIN",
                    "ctx",
                    "getLivingWagesWithAmount",
                    "DATA_FOUND",
                    "MSG00000",
                    200,
                    30.0,
                ),
                (
                    "C-5",
                    logged,
                    "SOAP",
                    CIN,
                    "CIN",
                    "ctx",
                    "getLivingWagesWithAmount",
                    "NO_DATA_FOUND",
                    "MSG00100",
                    200,
                    20.0,
                ),
                (
                    "C-6",
                    logged,
                    "SOAP",
                    CIN,
                    "CIN",
                    "bad",
                    "getLivingWagesWithAmount",
                    "NO_RESULT",
                    "MSG00013",
                    200,
                    5.0,
                ),
            ],
        )
        grant = [{"begin_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 3, 31)}]
        _insert(
            con,
            "monthly_amounts",
            [
                (
                    PERSON,
                    dt.date(2026, 3, 1),
                    GENT,
                    "LIVING_WAGE",
                    1,
                    PARTNER,
                    Decimal("876.13"),
                    grant,
                    True,
                    "FINAL",
                    False,
                    1,
                    False,
                ),
                (
                    PERSON,
                    dt.date(2026, 4, 1),
                    GENT,
                    "LIVING_WAGE",
                    1,
                    PARTNER,
                    Decimal("438.07"),
                    [{"begin_date": dt.date(2026, 4, 1), "end_date": dt.date(2026, 4, 15)}],
                    False,
                    "PROVISIONAL",
                    True,
                    1,
                    False,
                ),
            ],
        )
        _insert(
            con,
            "monthly_amounts_by_partner",
            [
                (
                    PARTNER,
                    dt.date(2026, 3, 1),
                    GENT,
                    "LIVING_WAGE",
                    1,
                    PERSON,
                    Decimal("876.13"),
                    grant,
                    True,
                    "FINAL",
                    False,
                ),
            ],
        )
        for table, rows in (extra_rows or {}).items():
            _insert(con, table, rows)
        _insert(con, "snapshot_info", [(refresh_id, reference_date, cutoff(reference_date), dt.datetime.now())])
        assert published.contract_errors(con) == []
    finally:
        con.close()
    manifest = {"reference_date": reference_date.isoformat(), "cutoff_date": cutoff(reference_date).isoformat()}
    snapshots.commit(published_dir, refresh_id, manifest)
    return refresh_id

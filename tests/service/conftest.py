"""A small published snapshot written with the contract DDL, and the real service on a 127.0.0.1 port.

The fixture people (R = 2026-07-04, today = 2026-07-10 in Brussels):
- X: rights at a Flemish CPAS (two adjacent periods of 2024) and an open-ended equivalent right at a Walloon
  CPAS from 2025-03-01, plus a cancelled right; amounts 2025-12..2026-05 with partner Y; integrated for
  institution A from 2024-03-01, open-ended.
- Y: X's partner (amounts seen from the partner side), integrated for A.
- W: amounts 2025-12..2026-05, integrated for A only from 2026-02-15 to 2026-03-10 (clipping).
- Z: integrated for A only in 2010-2012 (not integrated for recent periods).
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import threading
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import uvicorn
from argon2 import PasswordHasher

from kernel import published, snapshots
from kernel.calendar import month_end
from kernel.identifiers import cbe_with_check, ssin_with_check
from kernel.settings import settings as make_settings
from service.app import create_app
from service.handlers import ConsultationService

R = dt.date(2026, 7, 4)
TODAY = dt.date(2026, 7, 10)
CBE_A = cbe_with_check(2_000_001)
CBE_B = cbe_with_check(2_000_002)
P_FL = cbe_with_check(2_100_001)
P_WA = cbe_with_check(2_100_002)
X = ssin_with_check("850101", 123, False)
Y = ssin_with_check("860202", 124, False)
W = ssin_with_check("900303", 125, False)
Z = ssin_with_check("010404", 126, True)
USER_A, PASSWORD_A = "onem", "secret-a"
USER_B, PASSWORD_B = "inami", "secret-b"
CTX = "ONEM-unemployment"
CTX_OLD = "ONEM-expired"

_FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _month_row(ssin, month, pcsa, allowance, category, partner, amount, whole, finality, last):
    begin = d(month + "-01")
    end = month_end(begin) if whole else begin + dt.timedelta(days=14)
    return (
        ssin,
        begin,
        pcsa,
        allowance,
        category,
        partner,
        Decimal(amount),
        [{"begin_date": begin, "end_date": end}],
        whole,
        finality,
        last,
        1,
        False,
    )


def fixture_rows(password_a: str = PASSWORD_A) -> dict[str, list[tuple]]:
    months = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    monthly = []
    for i, month in enumerate(months):
        final = "FINAL" if i < 2 else ("CONSOLIDATING" if i < 4 else "PROVISIONAL")
        monthly.append(
            _month_row(X, month, P_WA, "EQUIVALENT_LIVING_WAGE", 1, Y, "876.13", True, final, month == "2026-05")
        )
        monthly.append(_month_row(W, month, P_FL, "LIVING_WAGE", 2, None, "1314.20", True, final, month == "2026-05"))
    # In May X also got an advance, and a partial month in category 3 at the Flemish CPAS (two more rows).
    monthly.append(
        _month_row(X, "2026-05", P_WA, "FAMILY_ALLOWANCE_ADVANCE", 1, Y, "100.00", True, "PROVISIONAL", True)
    )
    monthly.append(_month_row(X, "2026-05", P_FL, "LIVING_WAGE", 3, None, "888.04", False, "PROVISIONAL", True))
    by_partner = [
        (r[5], r[1], r[2], r[3], r[4], r[0], r[6], r[7], r[8], r[9], r[10]) for r in monthly if r[5] is not None
    ]
    yearly = [
        (
            X,
            2025,
            P_WA,
            "EQUIVALENT_LIVING_WAGE",
            1,
            Y,
            Decimal("876.13"),
            [{"begin_date": d("2025-12-01"), "end_date": d("2025-12-31")}],
            False,
            "FINAL",
            1,
        ),
        (
            X,
            2026,
            P_WA,
            "EQUIVALENT_LIVING_WAGE",
            1,
            Y,
            Decimal("4380.65"),
            [{"begin_date": d("2026-01-01"), "end_date": d("2026-05-31")}],
            False,
            "PROVISIONAL",
            5,
        ),
    ]
    yearly_by_partner = [(r[5], r[1], r[2], r[3], r[4], r[0], *r[6:]) for r in yearly]
    right = lambda rid, ssin, pcsa, cat, b, e, st: (  # noqa: E731
        rid,
        ssin,
        pcsa,
        cat,
        2,
        d(b),
        d(e) if e else None,
        st,
        True,
        d(b),
        d(b),
        d(b),
        "CREATE",
        1,
        d(b),
        1,
        d(b),  # state_decision_date
    )
    return {
        "rights": [
            right("r1", X, P_FL, "LIVING_WAGE", "2024-01-01", "2024-06-30", "ACTIVE"),
            right("r2", X, P_FL, "LIVING_WAGE", "2024-07-01", "2024-12-31", "ACTIVE"),
            right("r3", X, P_WA, "EQUIVALENT_LIVING_WAGE", "2025-03-01", None, "ACTIVE"),
            right("r4", X, P_WA, "LIVING_WAGE", "2023-01-01", "2023-12-31", "CANCELLED"),
            right("r5", Z, P_WA, "LIVING_WAGE", "2024-01-01", None, "ACTIVE"),
        ],
        "monthly_amounts": monthly,
        "monthly_amounts_by_partner": by_partner,
        "yearly_amounts": yearly,
        "yearly_amounts_by_partner": yearly_by_partner,
        "last_indemnified_months": [
            (X, "BENEFICIARY", d("2026-05-01")),
            (Y, "PARTNER", d("2026-05-01")),
            (W, "BENEFICIARY", d("2026-05-01")),
        ],
        "dim_pcsa": [
            (P_FL, "44021", "CPAS de Gand", "OCMW Gent", "FLANDERS"),
            (P_WA, "62063", "CPAS de Liège", "OCMW Luik", "WALLONIA"),
        ],
        "institution_credentials": [
            (CBE_A, USER_A, _FAST.hash(password_a)),
            (CBE_B, USER_B, _FAST.hash(PASSWORD_B)),
        ],
        "authorizations": [
            (CBE_A, "LivingWages:*", CTX, "99/107", d("2020-01-01"), None, ""),
            (CBE_A, "LivingWagesWithAmount:*", CTX, "99/107", d("2020-01-01"), TODAY, ""),  # inclusive end
            (CBE_A, "getLivingWages", CTX_OLD, "07/025", d("2020-01-01"), d("2026-06-30"), ""),
            (CBE_B, "getLivingWagePeriods", "INAMI-health", "00/036", d("2020-01-01"), None, ""),
        ],
        "integrations": [
            (CBE_A, X, "1", d("2024-03-01"), None),
            (CBE_A, Y, "1", d("2020-01-01"), None),
            (CBE_A, W, "1", d("2026-02-15"), d("2026-03-10")),
            (CBE_A, Z, "1", d("2010-01-01"), d("2012-12-31")),
            (CBE_B, X, "1", d("2020-01-01"), None),
        ],
    }


def publish(
    published_dir: Path,
    rows: dict[str, list[tuple]],
    reference_date: dt.date = R,
    refresh_id: str | None = None,
    *,
    index: bool = False,
) -> str:
    """Write a snapshot with the contract's tables and ``rows``, and switch CURRENT to it; with ``index``, its
    index files are built, verified and committed with it as the publication does (without: a snapshot published
    before them, whose index files the service builds)."""
    refresh_id = refresh_id or snapshots.new_refresh_id(reference_date)
    path = snapshots.staging_path(published_dir, refresh_id)
    with duckdb.connect(str(path)) as con:
        for table in (*published.TABLES, published.SNAPSHOT_INFO):
            con.execute(table.ddl())
        for name, table_rows in rows.items():
            if table_rows:
                marks = ", ".join("?" * len(table_rows[0]))
                con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', table_rows)
        con.execute(
            "INSERT INTO snapshot_info VALUES (?, ?, ?, ?)",
            [refresh_id, reference_date, reference_date.replace(day=1) - dt.timedelta(days=1), dt.datetime.now()],
        )
        assert published.contract_errors(con) == []
    if index:
        from dagster_project.publication import build_index

        build_index(published_dir, path, refresh_id)
    snapshots.commit(published_dir, refresh_id, {"reference_date": reference_date.isoformat()})
    return refresh_id


class RunningService:
    """uvicorn serving the app in a thread of the test process, on a free 127.0.0.1 port."""

    def __init__(self, home: Path, app_factory=create_app, **service_options) -> None:
        self.settings = make_settings(home).ensure()
        self.service = ConsultationService(self.settings, today=lambda: TODAY, **service_options)
        app = app_factory(self.settings, service=self.service)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> RunningService:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.service.audit.close()

    def audit_records(self) -> list[dict]:
        import json

        records = []
        for path in sorted(self.settings.audit.glob("audit-*.jsonl")):
            records += [json.loads(line) for line in path.read_text().splitlines()]
        return records


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="session")
def fixture_published(tmp_path_factory) -> Path:
    """The fixture snapshot, built once; tests copy the folder (snapshots are never written again)."""
    published_dir = tmp_path_factory.mktemp("template") / "published"
    publish(published_dir, fixture_rows())
    return published_dir


def home_with_fixture(home: Path, template: Path) -> Path:
    shutil.copytree(template, make_settings(home).published)
    return home


@pytest.fixture(scope="module")
def running(tmp_path_factory, fixture_published):
    """One service over the fixture snapshot, shared by a test module (tests that switch CURRENT use their own)."""
    home = home_with_fixture(tmp_path_factory.mktemp("lww"), fixture_published)
    with RunningService(home) as service:
        yield service


@pytest.fixture
def service(tmp_path, fixture_published):
    """A fresh service per test: its audit log then holds exactly this test's requests."""
    with RunningService(home_with_fixture(tmp_path / "home", fixture_published)) as running:
        yield running

"""The pure parts of the dashboards: filters to SQL, small-cell suppression, the command line."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards.lib.filters import Filters
from dashboards.lib.privacy import is_small, suppress
from kernel.errors import LwwError
from lww.commands import dashboards as command

MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


@pytest.fixture
def cells() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE dim_pcsa (cbe_number VARCHAR, region VARCHAR)")
    con.execute("INSERT INTO dim_pcsa VALUES ('0207152095', 'FLANDERS'), ('0207164083', 'WALLONIA')")
    con.execute("CREATE TABLE t (month DATE, pcsa_cbe_number VARCHAR, allowance_type VARCHAR, n INTEGER)")
    con.execute(
        "INSERT INTO t VALUES ('2026-02-01', '0207152095', 'LIVING_WAGE', 1), "
        "('2026-03-01', '0207152095', 'LIVING_WAGE', 10), ('2026-03-01', '0207164083', 'LIVING_WAGE', 100), "
        "('2026-04-01', '0207152095', 'EQUIVALENT_LIVING_WAGE', 1000), ('2026-05-01', '0207164083', 'x', 10000)"
    )
    return con


def total(con: duckdb.DuckDBPyConnection, filters: Filters, **columns) -> int:
    where, params = filters.clause(**columns)
    return con.execute(f"SELECT coalesce(sum(n), 0) FROM t WHERE {where}", params).fetchone()[0]


def test_filters_select_the_period_inclusive_and_treat_empty_as_all(cells) -> None:
    assert total(cells, Filters(MARCH, APRIL)) == 1110
    assert total(cells, Filters(MARCH, MARCH)) == 110


def test_filters_by_region_go_through_dim_pcsa_when_the_table_has_no_region(cells) -> None:
    assert total(cells, Filters(MARCH, APRIL, regions=("FLANDERS",))) == 1010
    assert total(cells, Filters(MARCH, APRIL, regions=("FLANDERS",), allowances=("LIVING_WAGE",))) == 10
    assert total(cells, Filters(MARCH, APRIL, pcsa=("0207164083",))) == 100


def test_filters_can_map_allowances_and_ignore_missing_dimensions(cells) -> None:
    only_advances = Filters(MARCH, APRIL, allowances=("FAMILY_ALLOWANCE_ADVANCE",))
    assert total(cells, only_advances, allowances_map={"LIVING_WAGE": "LIVING_WAGE"}) == 0  # never a right
    assert total(cells, only_advances, allowance=None) == 1110
    assert total(cells, Filters(MARCH, APRIL), month=None) == 11111


def test_filters_shift_by_whole_months_for_year_on_year() -> None:
    shifted = Filters(dt.date(2026, 1, 1), MARCH, regions=("BRUSSELS",)).shifted(-12)
    assert (shifted.month_from, shifted.month_to, shifted.regions) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 3, 1),
        ("BRUSSELS",),
    )


def test_suppression_blanks_counts_of_one_to_four_and_what_derives_from_them() -> None:
    frame = pd.DataFrame(
        {
            "cpas": ["a", "b", "c", "d"],
            "beneficiaries": [0, 3, 5, 4],
            "amount": [Decimal("0.00"), Decimal("2628.39"), Decimal("4380.65"), Decimal("1.00")],
            "share": [0.0, 0.5, 0.25, 0.1],
        }
    )
    shown = suppress(frame, ["beneficiaries"], ["amount", "share"])
    assert list(shown["cpas"]) == ["a", "b", "c", "d"]
    assert shown["beneficiaries"].tolist()[0] == 0 and shown["beneficiaries"].tolist()[2] == 5
    assert shown["beneficiaries"].isna().tolist() == [False, True, False, True]
    assert shown["amount"].isna().tolist() == [False, True, False, True]
    assert shown["share"].isna().tolist() == [False, True, False, True]
    assert shown["amount"][2] == Decimal("4380.65")
    assert frame["beneficiaries"].tolist() == [0, 3, 5, 4]  # the cached original is untouched
    assert [is_small(v) for v in (0, 1, 4, 5, None)] == [False, True, True, False, False]


def test_dashboards_command_passes_the_home_and_keeps_streamlit_quiet(tmp_path: Path) -> None:
    argv, env = command.command(tmp_path, "127.0.0.1", 8599)
    assert argv[1:4] == ["-m", "streamlit", "run"]
    assert Path(argv[4]) == command.DASHBOARDS_DIR / "streamlit_app.py"
    assert argv[argv.index("--server.port") + 1] == "8599"
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--browser.gatherUsageStats") + 1] == "false"
    assert env["LWW_HOME"] == str(tmp_path)
    with pytest.raises(LwwError, match="--port 70000"):
        command.command(tmp_path, "127.0.0.1", 70000)


def test_streamlit_config_is_headless_and_never_phones_home() -> None:
    config = tomllib.loads((command.DASHBOARDS_DIR / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["headless"] is True


def test_lww_dashboards_refuses_a_missing_home(tmp_path: Path, capsys) -> None:
    from lww.cli import main

    assert main(["--home", str(tmp_path / "absent"), "dashboards", "--port", "8599"]) == 2
    said = capsys.readouterr().err
    assert "absent (--home, else LWW_HOME) does not exist" in said and "lww demo" in said


breakdowns = st.lists(
    st.tuples(
        st.integers(1, 4),  # month
        st.text("abcdef", min_size=1, max_size=1),  # a dimension's value
        st.one_of(st.integers(0, 6), st.integers(0, 400)),  # beneficiaries: small ones often
    ),
    max_size=30,
    unique_by=lambda row: row[:2],
)


@given(rows=breakdowns, whole=st.booleans())
def test_no_hidden_cell_comes_back_as_a_total_minus_the_visible_parts(rows, whole) -> None:
    """Complementary suppression: within a group whose total is shown (a month; or the whole frame, under a KPI),
    what is hidden adds up to nothing or to at least 5, or the total itself is small (and hidden where shown)."""
    frame = pd.DataFrame(rows, columns=["month", "kind", "beneficiaries"])
    frame["amount"] = [Decimal(n) * Decimal("1314.20") for n in frame["beneficiaries"]]
    by = () if whole else ("month",)
    shown = suppress(frame, by=by)
    assert frame["beneficiaries"].tolist() == [r[2] for r in rows]  # the cached original is untouched
    visible = shown["beneficiaries"].notna()
    assert not shown.loc[visible, "beneficiaries"].map(is_small).any()
    assert shown["amount"].isna().tolist() == (~visible).tolist()  # an amount goes with its count
    assert (shown.loc[visible, "beneficiaries"].astype(int) == frame.loc[visible, "beneficiaries"]).all()
    groups = [frame.index] if whole else frame.groupby("month").groups.values()
    for members in groups:
        total = int(frame.loc[members, "beneficiaries"].sum())
        difference = total - int(shown.loc[members, "beneficiaries"].fillna(0).sum())
        assert not is_small(difference) or is_small(total), (total, difference)
        # No more than needed: the small cells, and at most one more (every other cell counts 5 or more).
        extra = [i for i in members if not visible[i] and not is_small(frame.at[i, "beneficiaries"])]
        assert len(extra) <= 1

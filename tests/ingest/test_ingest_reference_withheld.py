"""The optional ``withheld`` column of authorizations.csv (CONTRACT sections 3 and 4.5), loaded into a real
warehouse: absent (column or value) withholds nothing, names are checked against the elements a LivingWages V3
answer may withhold, and a warehouse created before the column existed gets it."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import load_reference
from kernel.codes import WITHHOLDABLE_ELEMENTS
from kernel.errors import LwwError
from kernel.settings import settings as make_settings
from tests.ingest.ingest_builders import drop, write_pcsa
from tests.ingest.test_ingest_reference_audit import INSTITUTION, write_all

HEADER = "cbe_number,operation,legal_context,deliberation,valid_from,valid_to"


def authorizations(home, lines: list[str], header: str = HEADER + ",withheld") -> None:
    drop(home.reference, "authorizations.csv", header + "\n" + "".join(line + "\n" for line in lines))


def withheld(connection) -> list:
    return connection.execute("SELECT withheld FROM raw.ref_authorizations ORDER BY legal_context").fetchall()


def test_a_file_without_the_column_withholds_nothing(home, warehouse):
    write_all(home.reference)  # the six columns only
    load_reference(warehouse, home)
    assert withheld(warehouse) == [("",), ("",)]


def test_the_column_is_loaded_normalised(home, warehouse):
    write_all(home.reference)
    authorizations(
        home,
        [
            f"{INSTITUTION},LivingWages:*,A,18/186,2020-01-01,,householdCategory; decisionDate",
            f"{INSTITUTION},getLivingWages,B,,2020-01-01,,",
            f"{INSTITUTION},getLivingWages,C,,2020-01-01,,lastEvent;lastEvent;pcsaCbeNumber",
        ],
    )
    load_reference(warehouse, home)
    assert withheld(warehouse) == [("householdCategory;decisionDate",), ("",), ("lastEvent;pcsaCbeNumber",)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (  # an element of no V3 answer
            f"{INSTITUTION},LivingWages:*,A,,2020-01-01,,householdCategory;amount",
            r"authorizations\.csv, line 3, column withheld: value 'householdCategory;amount' names amount: not an "
            r"element that may be withheld \(one of pcsaCbeNumber, category, householdCategory, decisionDate, "
            r"lastEvent",
        ),
        (f"{INSTITUTION},LivingWages:*,A,,2020-01-01,,HouseholdCategory", r"line 3, column withheld: .* names"),
        (f"{INSTITUTION},LivingWages:*,A,,2020-01-01,,householdCategory,x", r"line 3: 8 values for 7 columns"),
        (f"{INSTITUTION},LivingWages:*,A,,2020-01-01", r"line 3: 5 values for 7 columns"),
    ],
)
def test_a_bad_withheld_value_names_file_line_and_column_and_keeps_the_previous_data(home, warehouse, line, expected):
    write_all(home.reference)
    load_reference(warehouse, home)
    authorizations(home, [f"{INSTITUTION},getLivingWages,B,,2020-01-01,,", line])
    with pytest.raises(LwwError, match=expected):
        load_reference(warehouse, home)
    assert warehouse.execute("SELECT count(*) FROM raw.ref_authorizations").fetchone() == (2,)


def test_a_header_with_another_last_column_is_refused(home, warehouse):
    write_all(home.reference)
    authorizations(home, [f"{INSTITUTION},getLivingWages,B,,2020-01-01,,"], header=HEADER + ",hidden")
    with pytest.raises(LwwError, match=r"line 1: header must be exactly " + HEADER + r"\[,withheld\]"):
        load_reference(warehouse, home)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(WITHHOLDABLE_ELEMENTS) | st.text("abcdefghXYZ", min_size=1, max_size=8)))
def test_any_list_of_names_loads_exactly_when_every_name_may_be_withheld(home, warehouse, names):
    write_all(home.reference)
    authorizations(home, [f"{INSTITUTION},getLivingWages,B,,2020-01-01,,{';'.join(names)}"])
    if all(name in WITHHOLDABLE_ELEMENTS for name in names):
        load_reference(warehouse, home)
        assert withheld(warehouse) == [(";".join(dict.fromkeys(names)),)]
    else:
        with pytest.raises(LwwError, match=r"line 2, column withheld"):
            load_reference(warehouse, home)


def test_a_warehouse_from_before_the_column_gets_it(tmp_path):
    home = make_settings(tmp_path / "home").ensure()
    with duckdb.connect(str(home.warehouse)) as connection:
        connection.execute("CREATE SCHEMA raw")
        connection.execute(
            "CREATE TABLE raw.ref_authorizations (cbe_number VARCHAR NOT NULL, operation VARCHAR NOT NULL, "
            "legal_context VARCHAR NOT NULL, deliberation VARCHAR, valid_from DATE NOT NULL, valid_to DATE)"
        )
        write_pcsa(home.reference)
        write_all(home.reference)
        authorizations(home, [f"{INSTITUTION},getLivingWages,B,,2020-01-01,,category"])
        load_reference(connection, home)
        assert withheld(connection) == [("category",)]

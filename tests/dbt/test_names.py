"""Names in the dbt project: a mart says its layer and never borrows ``ref_`` (dbt's ``ref()`` and the raw
``ref_*`` tables of the reference data have it), each published table is one mart under one name, and the
exposures list exactly the marts a snapshot holds."""

from pathlib import Path

import yaml

from kernel import published
from kernel.settings import DBT_PROJECT_DIR

MODELS = DBT_PROJECT_DIR / "models"
MART_PREFIXES = ("fct_", "dim_", "agg_", "dq_")


def _models(folder: Path) -> set[str]:
    return {path.stem for path in folder.rglob("*.sql")}


def _source_tables() -> set[str]:
    sources = yaml.safe_load((MODELS / "staging" / "_staging__sources.yml").read_text())["sources"]
    return {table["name"] for source in sources for table in source["tables"]}


def test_marts_say_their_layer_and_share_no_name_with_a_raw_table():
    marts = _models(MODELS / "marts")
    assert marts, "no mart found"
    assert sorted(m for m in marts if not m.startswith(MART_PREFIXES)) == []
    assert sorted(m for m in _models(MODELS) if m.startswith("ref_")) == []
    assert sorted(_models(MODELS) & _source_tables()) == []


def test_each_published_table_is_one_mart_under_one_name():
    """The snapshot's name is the mart's, or the mart's without its layer prefix: one table, one name on each
    side, and no mart published twice."""
    marts = _models(MODELS / "marts")
    names = [table.name for table in published.TABLES]
    sources = [table.source for table in published.TABLES]
    assert len(set(names)) == len(names)
    assert len(set(sources)) == len(sources)
    for table in published.TABLES:
        schema, model = table.source.split(".")
        assert schema == "marts" and model in marts, table
        prefix = next((p for p in MART_PREFIXES if model.startswith(p)), "")
        assert table.name in (model, model.removeprefix(prefix)), table


def test_the_exposures_list_the_published_marts():
    exposures = yaml.safe_load((MODELS / "marts" / "_exposures.yml").read_text())["exposures"]
    read = {ref.removeprefix("ref('").removesuffix("')") for e in exposures for ref in e["depends_on"]}
    assert read == {table.source.split(".")[1] for table in published.TABLES}

"""Where upstream files may come from (issue 15, defect 8): replay loads files of ``quarantine/`` only, and a
symbolic link dropped in the inbox is never followed: it is quarantined with its reason."""

from __future__ import annotations

import pytest

from ingest import ingest_inbox, replay
from kernel.errors import LwwError
from lww import cli
from tests.ingest.ingest_builders import drop, event, payment, payments_xml, rights_xml, ssin


def _counts(warehouse) -> tuple[int, int, int]:
    return tuple(
        warehouse.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
        for table in ("loaded_files", "payment_lines", "right_events")
    )


@pytest.mark.parametrize("form", ["absolute", "relative", "traversal"])
def test_replay_refuses_a_file_outside_quarantine_and_leaves_it_alone(home, warehouse, tmp_path, monkeypatch, form):
    outside = drop(tmp_path / "elsewhere", "PAY.xml", payments_xml([payment("L1")], file_id="P1"))
    monkeypatch.chdir(tmp_path)
    name = {
        "absolute": str(outside),
        "relative": "elsewhere/PAY.xml",
        "traversal": f"../../{outside.relative_to(tmp_path)}",  # from quarantine/ (under home/) up to tmp_path
    }[form]
    assert (home.quarantine / name).resolve() == outside.resolve() or form == "relative"
    with pytest.raises(LwwError) as refused:
        replay(warehouse, home, name)
    message = str(refused.value)
    assert repr(name) in message and str(home.quarantine) in message and "\n" not in message
    assert outside.is_file() and _counts(warehouse) == (0, 0, 0)
    assert not list(home.archive.rglob("*.xml"))


def test_the_command_line_says_so_in_one_line(home, warehouse, tmp_path, capsys):
    outside = drop(tmp_path / "elsewhere", "PAY.xml", payments_xml([payment("L1")], file_id="P1"))
    warehouse.close()  # the command opens the warehouse as the single writer
    assert cli.main(["--home", str(home.home), "replay", str(outside)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"lww replay: {str(outside)!r} is not a file of {home.quarantine}")
    assert outside.is_file()


def test_a_path_leading_into_quarantine_is_the_quarantined_file(home, warehouse):
    bad = payments_xml([payment("L1", ssin="85073003329")], file_id="P1")
    drop(home.payments_inbox, "pay.xml", bad)
    assert ingest_inbox(warehouse, home).quarantined
    (home.quarantine / "pay.xml").write_text(bad.replace("85073003329", ssin(1)), encoding="utf-8")
    assert replay(warehouse, home, str(home.quarantine / "pay.xml")).status == "loaded"
    assert _counts(warehouse) == (1, 1, 0)


@pytest.mark.parametrize("native", ["1", "0"])
def test_a_symlink_in_the_inbox_is_quarantined_never_followed(home, warehouse, tmp_path, monkeypatch, native):
    monkeypatch.setenv("LWW_INGEST_NATIVE", native)
    target = drop(tmp_path / "elsewhere", "real.xml", payments_xml([payment("L1")], file_id="P1"))
    home.payments_inbox.mkdir(parents=True, exist_ok=True)
    home.rights_inbox.mkdir(parents=True, exist_ok=True)
    (home.payments_inbox / "link.xml").symlink_to(target)
    (home.rights_inbox / "dangling.xml").symlink_to(tmp_path / "nowhere.xml")
    drop(home.rights_inbox, "good.xml", rights_xml([event("E1")], file_id="R1"))
    report = ingest_inbox(warehouse, home, workers=1)
    assert {o.name: o.status for o in report.outcomes} == {
        "link.xml": "quarantined",
        "dangling.xml": "quarantined",
        "good.xml": "loaded",
    }
    assert _counts(warehouse) == (1, 0, 1)  # the good file only: nothing read through a link
    for name in ("link.xml", "dangling.xml"):
        moved = home.quarantine / name
        assert moved.is_symlink()  # the link itself was moved, not what it points to
        reason = (home.quarantine / f"{name}.reason.txt").read_text()
        assert "is a symbolic link" in reason and "[symlink]" in reason, reason
    assert target.is_file() and target.read_text().count("<line>") == 1
    assert not list(home.payments_inbox.iterdir()) and not list(home.rights_inbox.iterdir())
    quarantined = warehouse.execute("SELECT file_name, field FROM raw.quarantined_files ORDER BY 1").fetchall()
    assert [name for name, _ in quarantined] == ["dangling.xml", "link.xml"]
    # replay does not follow it either; once the file itself is put in its place, it loads
    with pytest.raises(LwwError, match="is a symbolic link"):
        replay(warehouse, home, "link.xml")
    (home.quarantine / "link.xml").unlink()
    (home.quarantine / "link.xml").write_bytes(target.read_bytes())
    assert replay(warehouse, home, "link.xml").status == "loaded"
    assert _counts(warehouse) == (2, 1, 1)

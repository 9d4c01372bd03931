"""The command line's own wiring: one-line errors and non-zero exits on bad input, replay of a fixed file."""

import datetime as dt

import duckdb

import ingest
from dagster_project.resources import Warehouse
from kernel.settings import settings
from lww import cli
from simulator import SimulationConfig, simulate


def test_bad_input_gives_one_line_and_exit_2(tmp_path, capsys):
    home = ["--home", str(tmp_path)]
    assert cli.main([*home, "refresh", "--as-of", "2026-13-01"]) == 2
    assert cli.main([*home, "rollback"]) == 2
    assert cli.main([*home, "replay", "nothing.xml"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3
    assert errors[0].startswith("lww refresh: --as-of") and "YYYY-MM-DD" in errors[0]
    assert errors[1].startswith("lww rollback: no snapshot")
    assert errors[2].startswith("lww replay: no quarantined file 'nothing.xml'")


def test_a_quarantined_file_loads_with_replay_once_fixed(tmp_path, capsys):
    home = settings(tmp_path).ensure()
    config = SimulationConfig(
        seed=5, pcsa=2, people=10, first_month=dt.date(2026, 1, 1), last_month=dt.date(2026, 1, 1)
    )
    simulate(config, home)
    payments = sorted(home.payments_inbox.glob("*.xml"))[0]
    good = payments.read_text(encoding="utf-8")
    amount = good.index("<amount>") + len("<amount>")
    payments.write_text(good[:amount] + "1.005" + good[good.index("</amount>", amount) :], encoding="utf-8")

    with Warehouse(home=str(home.home)).writer() as connection:
        ingest.load_reference(connection, home)
        report = ingest.ingest_files(connection, home, ingest.pending_files(home, kind="payments"))
    assert [o.name for o in report.quarantined] == [payments.name]
    reason = (home.quarantine / (payments.name + ".reason.txt")).read_text(encoding="utf-8")
    assert f"lww replay {payments.name}" in reason

    assert cli.main(["--home", str(home.home), "replay", payments.name]) == 2  # not fixed yet
    assert "still refused" in capsys.readouterr().err
    (home.quarantine / payments.name).write_text(good, encoding="utf-8")  # the operator fixes it in place
    assert cli.main(["--home", str(home.home), "replay", payments.name]) == 0
    assert "loaded" in capsys.readouterr().out
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM raw.payment_lines").fetchone()[0] == good.count("<line>")
        released = connection.execute("SELECT count(*) FROM raw.quarantined_files WHERE released_at IS NOT NULL")
        assert released.fetchone()[0] >= 1
    assert not (home.quarantine / (payments.name + ".reason.txt")).exists()


def test_every_listed_command_is_built_and_answers_help(capsys):
    """The help lists only commands that exist: each has its module, and `lww <command> --help` works."""
    import importlib

    import pytest

    (commands,) = [a for a in cli.build_parser()._actions if a.dest == "command"]
    assert list(commands.choices) == list(cli.COMMANDS)
    for name in cli.COMMANDS:
        assert hasattr(importlib.import_module(f"lww.commands.{name}"), "register"), name
        with pytest.raises(SystemExit) as done:
            cli.main([name, "--help"])
        assert done.value.code == 0, name
        assert f"usage: lww {name}" in capsys.readouterr().out

"""The notification commands' bad input: one line naming what is wrong, a non-zero exit, nothing started."""

from __future__ import annotations

from lww import cli


def test_bad_settings_and_options_give_one_line(tmp_path, capsys, monkeypatch):
    home = ["--home", str(tmp_path)]
    monkeypatch.setenv("LWW_NOTIFY_MAX_ATTEMPTS", "twelve")
    assert cli.main([*home, "notify"]) == 2
    monkeypatch.setenv("LWW_NOTIFY_MAX_ATTEMPTS", "12")
    monkeypatch.setenv("LWW_NOTIFY_CA_BUNDLE", str(tmp_path / "missing.pem"))
    assert cli.main([*home, "notify"]) == 2
    monkeypatch.delenv("LWW_NOTIFY_CA_BUNDLE")
    assert cli.main([*home, "notify", "--status", "--retry-parked"]) == 2
    assert cli.main([*home, "subscriber", "--port", "70000"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == [
        "lww notify: LWW_NOTIFY_MAX_ATTEMPTS='twelve': expected a whole number",
        f"lww notify: LWW_NOTIFY_CA_BUNDLE={str(tmp_path / 'missing.pem')!r}: no such file (a PEM bundle of the CAs "
        "to trust)",
        "lww notify: --status only reads: run --retry-parked without it",
        "lww subscriber: --port 70000: expected a port number from 1 to 65535",
    ]


def test_status_before_any_notifier_and_a_snapshot_without_due_notifications(tmp_path, capsys):
    home = ["--home", str(tmp_path)]
    assert cli.main([*home, "notify", "--status"]) == 0
    assert "no notifier has run yet" in capsys.readouterr().out
    assert cli.main([*home, "notify"]) == 0  # nothing published yet: nothing to deliver
    out = capsys.readouterr().out
    assert "delivered 0" in out

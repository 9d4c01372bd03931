"""Numbers read from the environment (``kernel.settings.env_number``)."""

import pytest

from kernel.errors import LwwError
from kernel.settings import env_number, keep_snapshots


def test_a_number_setting_is_read_checked_and_named_when_wrong(monkeypatch):
    monkeypatch.delenv("LWW_TEST_NUMBER", raising=False)
    assert env_number("LWW_TEST_NUMBER", 6) == 6
    for raw, found in [("", 6), (" 12 ", 12)]:
        monkeypatch.setenv("LWW_TEST_NUMBER", raw)
        assert env_number("LWW_TEST_NUMBER", 6, minimum=1) == found
    monkeypatch.setenv("LWW_TEST_NUMBER", "2.5")
    assert env_number("LWW_TEST_NUMBER", 1.0) == 2.5  # a float default reads a float
    with pytest.raises(LwwError, match=r"LWW_TEST_NUMBER='2.5': expected a whole number$"):
        env_number("LWW_TEST_NUMBER", 6)
    monkeypatch.setenv("LWW_TEST_NUMBER", "-1")
    with pytest.raises(LwwError, match=r"LWW_TEST_NUMBER='-1': expected a number, 0 or more$"):
        env_number("LWW_TEST_NUMBER", 1.0, minimum=0)


def test_snapshots_to_keep(monkeypatch):
    monkeypatch.setenv("LWW_KEEP_SNAPSHOTS", "three")
    with pytest.raises(LwwError, match="LWW_KEEP_SNAPSHOTS='three'"):
        keep_snapshots()
    monkeypatch.setenv("LWW_KEEP_SNAPSHOTS", "3")
    assert keep_snapshots() == 3

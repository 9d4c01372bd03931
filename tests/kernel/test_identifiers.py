import pytest

from kernel.identifiers import cbe_error, cbe_with_check, is_valid_cbe, is_valid_ssin, ssin_error, ssin_with_check


def test_ssin_before_2000_variant():
    assert ssin_with_check("850730", 33, born_from_2000=False) == "85073003328"
    assert is_valid_ssin("85073003328")


def test_ssin_from_2000_variant_uses_the_leading_2():
    ssin = ssin_with_check("050730", 33, born_from_2000=True)
    assert is_valid_ssin(ssin)
    plain = f"050730033{97 - 50730033 % 97:02d}"
    assert plain != ssin  # the two variants differ, and only the right one was produced


def test_bis_numbers_and_unknown_birth_dates_are_valid():
    assert is_valid_ssin(ssin_with_check("852730", 33, born_from_2000=False))  # month + 20
    assert is_valid_ssin(ssin_with_check("854730", 33, born_from_2000=False))  # month + 40
    assert is_valid_ssin(ssin_with_check("850000", 33, born_from_2000=False))  # month and day unknown


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("8507300332", "exactly 11 digits"),
        ("850730033288", "exactly 11 digits"),
        ("85.07.30-033.28", "exactly 11 digits"),
        ("85073003329", "check digits"),
        (ssin_with_check("850730", 0, born_from_2000=False), "never 000"),
    ],
)
def test_invalid_ssins_say_why(value, reason):
    assert reason in ssin_error(value)


def test_cbe_numbers():
    assert cbe_with_check(2123456) == "0212345668"
    assert is_valid_cbe("0212345668")
    assert is_valid_cbe("0403170701")
    assert "check digits" in cbe_error("0212345678")
    assert "starting with 0 or 1" in cbe_error("2212345678")
    assert "10 digits" in cbe_error("212345668")

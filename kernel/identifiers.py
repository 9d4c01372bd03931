"""SSIN (national number, bis number) and CBE enterprise number checks.

python-stdnum computes the check digits; this module adds what it does not check: exactly 11 (or 10) digits,
a register serial never 000, and a CBE number starting with 0 or 1 as the CBSS ``EnterpriseNumberType`` requires.
"""

from __future__ import annotations

import re

from stdnum.be import bis, nn, vat

_SSIN = re.compile(r"\d{11}")
_CBE = re.compile(r"[01]\d{9}")


def ssin_error(value: str) -> str | None:
    """Why ``value`` is not a valid SSIN, or None when it is one."""
    if not isinstance(value, str) or not _SSIN.fullmatch(value):
        return "an SSIN is exactly 11 digits"
    if value[6:9] == "000":
        return "the serial (digits 7-9) of an SSIN is never 000"
    if not (nn.is_valid(value) or bis.is_valid(value)):
        return "SSIN check digits do not match (neither the before-2000 nor the from-2000 variant)"
    return None


def is_valid_ssin(value: str) -> bool:
    return ssin_error(value) is None


def cbe_error(value: str) -> str | None:
    """Why ``value`` is not a valid CBE (KBO/BCE) enterprise number, or None when it is one."""
    if not isinstance(value, str) or not _CBE.fullmatch(value):
        return "a CBE number is 10 digits starting with 0 or 1"
    if not vat.is_valid(value):
        return "CBE check digits do not match (last 2 digits = 97 - first 8 mod 97)"
    return None


def is_valid_cbe(value: str) -> bool:
    return cbe_error(value) is None


def cbe_with_check(first8: int) -> str:
    """A valid CBE number from its first 8 digits (0 <= first8 < 2*10**7 keeps the leading 0 or 1)."""
    return f"{first8:08d}{97 - first8 % 97:02d}"


def ssin_with_check(yymmdd: str, serial: int, born_from_2000: bool) -> str:
    """A valid SSIN for a birth date ``yymmdd`` (month +20/+40 for bis numbers) and serial 1..998."""
    base = f"{yymmdd}{serial:03d}"
    number = int(("2" + base) if born_from_2000 else base)
    return f"{base}{97 - number % 97:02d}"

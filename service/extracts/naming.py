"""File names of released extracts: the Smals convention of CONTRACT §5, ``FO.<app>.<cbe>.<YYYYMMDD>.<seq>.<env>.1.1``
with its empty ``GO.`` trigger file (``GO.`` + the name without ``FO.``), written last."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

# Application codes of this project's extracts (LWCB is the batch consultation's): E for extract, F Finances,
# S the harmonised social statuses.
APPLICATIONS = {"finances": "LWEF", "ssh": "LWES"}
# The environment letter of the convention: this system is the production one for its own files.
ENVIRONMENT = "P"
_NAME = re.compile(r"FO\.(?P<app>[A-Z]{4})\.(?P<cbe>\d{10})\.(?P<day>\d{8})\.(?P<seq>\d{5})\.[A-Z]\.1\.1")


def output_name(kind: str, recipient: str, day: dt.date, sequence: int) -> str:
    return f"FO.{APPLICATIONS[kind]}.{recipient}.{day:%Y%m%d}.{sequence:05d}.{ENVIRONMENT}.1.1"


def go_name(output: str) -> str:
    """``GO.`` + the output's name without its ``FO.`` prefix."""
    return "GO." + output.removeprefix("FO.")


def next_output_name(folder: Path, kind: str, recipient: str, day: dt.date) -> str:
    """The first free name of the day for this extract and recipient (sequence 1, 2, …)."""
    prefix = f"FO.{APPLICATIONS[kind]}.{recipient}.{day:%Y%m%d}."
    taken = [int(m["seq"]) for p in folder.glob(prefix + "*") if (m := _NAME.fullmatch(p.name))]
    return output_name(kind, recipient, day, max(taken, default=0) + 1)

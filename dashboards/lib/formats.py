"""Numbers as Belgian readers write them, the one place the dashboards format a figure: KPI tiles, tables, chart
axes and tooltips, and the CSV downloads all come through here.

``1.234,56 €`` for an amount, ``1.234`` for a count, ``12,7 %`` for a share; a figure withheld from a partner
analyst reads ``< 5`` (:data:`HIDDEN`), with :func:`footnote` under it, never an empty cell. The CSV opens as it
is in a Belgian Excel: ``;`` between fields, a decimal comma, UTF-8 with a byte-order mark.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable

import pandas as pd

from dashboards.lib import i18n

HIDDEN = "< 5"
HIDDEN_CELLS = "lww_hidden_cells"  # frame.attrs: the (index, column) cells withheld from a partner analyst
NOTHING = "–"
CSV_SEPARATOR = ";"
CSV_ENCODING = "utf-8-sig"  # the byte-order mark tells Excel the file is UTF-8 (CPAS names have accents)

# d3-format's locale for Vega-Lite: the same separators and symbols in the charts as in the tables.
CHART_LOCALE = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " €"], "percent": " %"},
}


def footnote() -> str:
    """What ``< 5`` means, under a table or in a tile's help, in the language of the run."""
    return i18n.t("table.footnote")


def chart_locale() -> dict[str, object]:
    """Vega-Lite's locale for a chart: the Belgian number format, and the month and day names of the language of
    the run (d3-time-format's locale: its weeks begin on Sunday)."""
    lang = i18n.current_language()
    days = i18n.WEEKDAYS[lang]
    return CHART_LOCALE | {
        "time": {
            "dateTime": "%A %e %B %Y, %X",
            "date": "%d/%m/%Y",
            "time": "%H:%M:%S",
            "periods": ["", ""],
            "days": [days[6], *days[:6]],
            "shortDays": [day[:3] for day in (days[6], *days[:6])],
            "months": list(i18n.MONTHS[lang]),
            "shortMonths": list(i18n.MONTHS_SHORT[lang]),
        }
    }


CHART_EUROS = "$,.2f"  # with CHART_LOCALE: 1.234,56 €
CHART_EUROS_AXIS = "$,.0f"
CHART_COUNT = ",d"
CHART_PERCENT = ".1%"


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _grouped(digits: str) -> str:
    """``1234567`` -> ``1.234.567``."""
    head, rest = len(digits) % 3 or 3, digits[len(digits) % 3 or 3 :]
    return ".".join([digits[:head], *(rest[i : i + 3] for i in range(0, len(rest), 3))])


def number(value: object, decimals: int = 0) -> str:
    """``1.234,5`` (``decimals`` places, rounded half up as the amounts are); a dash when there is nothing."""
    if _missing(value):
        return NOTHING
    exact = decimal.Decimal(str(value)).quantize(decimal.Decimal(1).scaleb(-decimals), decimal.ROUND_HALF_UP)
    sign = "-" if exact < 0 else ""
    whole, _, fraction = f"{abs(exact):.{decimals}f}".partition(".")
    return f"{sign}{_grouped(whole)}" + (f",{fraction}" if decimals else "")


def euros(value: object) -> str:
    """``1.234,56 €``."""
    return NOTHING if _missing(value) else f"{number(value, 2)} €"


def count(value: object) -> str:
    """``1.234``."""
    return number(value, 0)


def percent(share: object, decimals: int = 1) -> str:
    """A share (0.127) as ``12,7 %``."""
    return NOTHING if _missing(share) else f"{number(decimal.Decimal(str(share)) * 100, decimals)} %"


# The columns (dashboards.lib.labels) that hold shares, and the numbers that are names rather than quantities
# (a year, a status code): these are never grouped by thousands. Known by their readable titles, in every
# language of the catalogue.
PERCENT_COLUMNS = (
    "partial_share",
    "rejection_rate",
    "refusal_rate",
    "amount_change",
    "beneficiaries_change",
    "share",
    "revision_share",
)
PLAIN_COLUMNS = ("year", "http_status", "status_code", "line_no", "line_id", "file_id", "rank")


def _titles(columns: tuple[str, ...]) -> frozenset[str]:
    return frozenset(text for column in columns for text in i18n.CATALOGUE[f"col.{column}"].values())


PERCENT_TITLES = _titles(PERCENT_COLUMNS)
PLAIN_TITLES = _titles(PLAIN_COLUMNS)


def kind(title: str, values: pd.Series) -> Callable[[object], str] | None:
    """The formatter of a column, by its readable title and its values; None for what is not a quantity
    (names, codes, dates, flags, years)."""
    if "(EUR)" in title:
        return euros
    if title in PERCENT_TITLES:
        return percent
    if title in PLAIN_TITLES or pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_integer_dtype(values):
        return count
    sample = values.dropna()
    first = sample.iloc[0] if not sample.empty else None
    if pd.api.types.is_float_dtype(values) or isinstance(first, float | decimal.Decimal):
        whole = sample.map(lambda v: float(v).is_integer()).all() if not sample.empty else True
        return count if whole else (lambda v: number(v, 1))
    if isinstance(first, int) and not isinstance(first, bool):
        return count
    return None


def cell(value: object) -> str:
    """A CSV field: numbers with a decimal comma and no thousands separator (Excel reads them as numbers)."""
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a count made float by a blank beside it
    if isinstance(value, decimal.Decimal | float):
        return format(decimal.Decimal(str(value)), "f").replace(".", ",")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv(frame: pd.DataFrame, hidden: frozenset[tuple[object, str]] = frozenset()) -> bytes:
    """``frame`` as a CSV for a Belgian Excel; the cells in ``hidden`` ((index, column) pairs) read ``< 5``."""
    text = frame.copy()
    for column in text.columns:
        text[column] = [
            HIDDEN if (index, column) in hidden else cell(value)
            for index, value in zip(text.index, text[column], strict=True)
        ]
    return text.to_csv(index=False, sep=CSV_SEPARATOR, lineterminator="\r\n").encode(CSV_ENCODING)

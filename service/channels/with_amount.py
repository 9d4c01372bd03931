"""The SOAP channel of LivingWagesWithAmount V1: the amount rows, written straight from the index's stored values.

Each distinct piece of a row (a month, a CPAS with its allowance and category, a grant period, an amount with its
flags) is rendered once per index and kept in this renderer's own cache (keyed by the index, dropped with it when
a new snapshot replaces it), so a row costs a few dictionary lookups: measured cheaper than decoding the rows into
Python objects and formatting them (``bench/README.md``).
"""

from __future__ import annotations

import datetime as dt
import weakref
from decimal import Decimal
from xml.sax.saxutils import escape

from service.channels.soap import SoapChannel, period_xml
from service.consult import AmountRows, Answer
from service.index import AMOUNT, AmountsIndex

_MEMO_LIMIT = 100_000  # pieces kept per index and kind (bounded: grant periods vary with people)


_KINDS = ("open", "head", "grant", "tail")
_pieces: weakref.WeakKeyDictionary[AmountsIndex, dict[str, dict]] = weakref.WeakKeyDictionary()


def _memos(index: AmountsIndex) -> list[dict]:
    """The rendered pieces of ``index``, by kind (a kind starts again when it passes the limit)."""
    found = _pieces.get(index)
    if found is None:
        found = _pieces[index] = {}
    memos = []
    for kind in _KINDS:
        memo = found.get(kind)
        if memo is None or len(memo) > _MEMO_LIMIT:
            memo = found[kind] = {}
        memos.append(memo)
    return memos


def amount_rows(parts: list[str], rows: AmountRows) -> None:
    """The ``<amount>`` elements of ``rows``, written from the stored values, piece by piece from the cache,
    column by column (measured faster than row by row)."""
    index = rows.index
    opens, heads, grants, tails = _memos(index)
    text, day = index.text, index.day

    def open_piece(period: int) -> str:
        month = f"<amount><month>{_month(day(period))}</month>"
        piece = opens[period] = f"<amount><year>{period:04d}</year>" if rows.yearly else month
        return piece

    def head_piece(key: tuple[int, int, int]) -> str:
        piece = heads[key] = _row_head(
            text(AMOUNT.pcsa_cbe_number, key[0]), text(AMOUNT.allowance_type, key[1]), key[2]
        )
        return piece

    def grant_piece(span: tuple[int, int]) -> str:
        piece = grants[span] = period_xml("grantPeriod", (day(span[0]), day(span[1])))
        return piece

    def tail_piece(key: tuple[int, bool, int]) -> str:
        piece = tails[key] = _row_tail(Decimal(key[0]).scaleb(-2), key[1], text(AMOUNT.finality_status, key[2]))
        return piece

    tag = "beneficiarySsin" if rows.partner_role else "partnerSsin"
    others_seen: dict[int, str] = {-1: ""}  # the other person rarely changes within an answer

    def other_piece(code: int) -> str:
        piece = others_seen[code] = f"<{tag}>{escape(text(AMOUNT.other, code))}</{tag}>"
        return piece

    for start, stop in rows.spans:
        row = index.stored_columns(start, stop)
        periods, (offsets, begins, ends) = row.period, row.grant_periods
        spans = [grants.get(span) or grant_piece(span) for span in zip(begins, ends, strict=True)]
        if offsets != list(range(len(periods) + 1)):  # a row with no or several grant periods: by row
            spans = ["".join(spans[offsets[i] : offsets[i + 1]]) for i in range(len(periods))]
        parts.extend(
            map(
                "".join,
                zip(
                    [opens.get(period) or open_piece(period) for period in periods],
                    [
                        heads.get(key) or head_piece(key)
                        for key in zip(row.pcsa_cbe_number, row.allowance_type, row.household_category, strict=True)
                    ],
                    [
                        other if (other := others_seen.get(code)) is not None else other_piece(code)
                        for code in row.other
                    ],
                    spans,
                    [
                        tails.get(key) or tail_piece(key)
                        for key in zip(row.amount_cents, row.covers_whole_period, row.finality_status, strict=True)
                    ],
                    strict=True,
                ),
            )
        )


def _month(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _row_head(pcsa: str, allowance: str, category: int) -> str:
    return (
        f"<pcsaCbeNumber>{escape(pcsa)}</pcsaCbeNumber><allowanceType>{escape(allowance)}</allowanceType>"
        f"<householdCategory>{int(category)}</householdCategory>"
    )


def _row_tail(amount: Decimal, whole: bool, finality: str) -> str:
    return (
        f"<amount>{amount:.2f}</amount><coversWholePeriod>{'true' if whole else 'false'}</coversWholePeriod>"
        f"<finalityStatus>{escape(finality)}</finalityStatus></amount>"
    )


class WithAmountChannel(SoapChannel):
    def write_answer(self, parts: list[str], operation: str, answer: Answer) -> None:
        if answer.reference_date is not None:
            parts.append(f"<referenceDate>{answer.reference_date.isoformat()}</referenceDate>")
        if answer.last_month_is_last_indemnified is not None:
            flag = "true" if answer.last_month_is_last_indemnified else "false"
            parts.append(f"<lastMonthIsLastIndemnified>{flag}</lastMonthIsLastIndemnified>")
        if answer.amounts:
            amount_rows(parts, answer.amounts)

"""Small-cell suppression for partner analysts (aggregates only).

A count of 1 to 4 people (or of lines, which stand for people) could single someone out, so for a
``PARTNER_ANALYST`` such counts are blanked, and with them every figure of the same row that derives from
those few people (amounts, averages, shares). A zero reveals nobody and stays. Applied to what is shown, after
aggregation, before any chart, table or CSV: the cached query results themselves are not role-specific.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

THRESHOLD = 5


def suppress(frame: pd.DataFrame, counts: Sequence[str], linked: Sequence[str] = ()) -> pd.DataFrame:
    """A copy where rows with any count in 1..THRESHOLD-1 have their counts and linked figures blanked."""
    frame = frame.copy()
    if frame.empty:
        return frame
    small = pd.Series(False, index=frame.index)
    for column in counts:
        values = pd.to_numeric(frame[column], errors="coerce")
        small |= (values > 0) & (values < THRESHOLD)
    for column in (*counts, *linked):
        if column not in frame.columns:
            continue
        if pd.api.types.is_integer_dtype(frame[column]):
            frame[column] = frame[column].astype("Int64")
        elif not pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].astype(object)
        frame.loc[small, column] = None
    return frame


def is_small(count: object) -> bool:
    """Whether a single count (a KPI) must be hidden from a partner analyst."""
    try:
        value = int(count)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    return 0 < value < THRESHOLD

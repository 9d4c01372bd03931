"""The one monthly partitioning shared by the ingest assets: the reporting (arrival) month of upstream files."""

from __future__ import annotations

import dagster as dg

# Upstream files are partitioned by the month SPP IS created them (``createdAt``): what arrives, not the benefit
# months they concern (a line accepted in May may concern February); the marts recompute the months it touches.
# end_offset=1: the current month is a partition too (rights files land every day).
MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2010-01-01", timezone="Europe/Brussels", end_offset=1)

# The periodic extracts (CONTRACT §7) are partitioned by the period they cover, complete periods only: the
# tax year of the SPF Finances extract, the month of the harmonised social statuses.
TAX_YEARS = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start="2010", fmt="%Y", timezone="Europe/Brussels"
)
STATUS_MONTHS = dg.MonthlyPartitionsDefinition(start_date="2010-01-01", timezone="Europe/Brussels")

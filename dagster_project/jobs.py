"""The one job: refresh = ingest what is new, build and test every model, run the checks, publish."""

from __future__ import annotations

import dagster as dg

refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest new upstream and reference files, dbt build (models + tests), checks, publish a snapshot.",
)

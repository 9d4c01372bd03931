"""The refresh job = ingest what is new, build and test every model, run the checks, publish; and one job per
periodic extract (staged, checked, released), from the published snapshot."""

from __future__ import annotations

import dagster as dg

from dagster_project.keys import FINANCES_EXTRACT, FINANCES_STAGED, SSH_EXTRACT, SSH_STAGED

refresh_job = dg.define_asset_job(
    "refresh",
    # everything but the periodic extracts, which read what the refresh published (partitioned by their period)
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("extracts"),
    description="Ingest new upstream and reference files, dbt build (models + tests), checks, publish a snapshot.",
)

finances_extract_job = dg.define_asset_job(
    "finances_extract",
    selection=dg.AssetSelection.assets(FINANCES_STAGED, FINANCES_EXTRACT),
    description="The SPF Finances extract of a tax year (partition): staged, control check, released.",
)
ssh_extract_job = dg.define_asset_job(
    "ssh_extract",
    selection=dg.AssetSelection.assets(SSH_STAGED, SSH_EXTRACT),
    description="The harmonised social statuses of a month (partition): staged, control check, released.",
)

"""The Dagster code location of the warehouse."""

import dagster as dg

from dagster_project.assets.dbt import dbt_resource, make_dbt_assets
from dagster_project.assets.ingest import audit_log, reference_data, upstream_files
from dagster_project.assets.publish import published_snapshot
from dagster_project.checks import CHECKS
from dagster_project.jobs import refresh_job
from dagster_project.notifications import notify_after_publication, notify_job
from dagster_project.resources import Warehouse
from dagster_project.schedules import first_saturday_refresh
from dagster_project.sensors import new_files_sensor, refresh_failure_sensor


def build_definitions(home: str = "") -> dg.Definitions:
    return dg.Definitions(
        assets=[reference_data, upstream_files, audit_log, make_dbt_assets(), published_snapshot],
        asset_checks=CHECKS,
        jobs=[refresh_job, notify_job],
        schedules=[first_saturday_refresh],
        sensors=[new_files_sensor, refresh_failure_sensor, notify_after_publication],
        resources={"warehouse": Warehouse(home=home), "dbt": dbt_resource()},
    )


defs = build_definitions()

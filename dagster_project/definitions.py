"""The Dagster code location of the warehouse."""

import dagster as dg

from dagster_project.assets.dbt import dbt_resource, make_dbt_assets
from dagster_project.assets.extracts import EXTRACT_ASSETS
from dagster_project.assets.ingest import audit_log, reference_data, upstream_files
from dagster_project.assets.publish import published_snapshot
from dagster_project.batch import batch_drop_sensor, batch_job
from dagster_project.checks import CHECKS
from dagster_project.freshness import snapshot_freshness, snapshot_published_on_schedule
from dagster_project.jobs import finances_extract_job, refresh_job, ssh_extract_job
from dagster_project.notifications import notify_after_publication, notify_job
from dagster_project.resources import Warehouse
from dagster_project.schedules import first_saturday_refresh, yearly_finances_extract
from dagster_project.sensors import new_files_sensor, refresh_failure_sensor, ssh_after_first_saturday
from kernel import permissions


def build_definitions(home: str = "") -> dg.Definitions:
    return dg.Definitions(
        assets=[reference_data, upstream_files, audit_log, make_dbt_assets(), published_snapshot, *EXTRACT_ASSETS],
        asset_checks=[*CHECKS, snapshot_published_on_schedule],
        jobs=[refresh_job, notify_job, finances_extract_job, ssh_extract_job, batch_job],
        schedules=[first_saturday_refresh, yearly_finances_extract],
        sensors=[
            new_files_sensor,
            refresh_failure_sensor,
            notify_after_publication,
            ssh_after_first_saturday,
            batch_drop_sensor,
            snapshot_freshness,
        ],
        resources={"warehouse": Warehouse(home=home), "dbt": dbt_resource()},
    )


# the code location's processes (dagster dev, its daemon, each run) write under LWW_HOME too (kernel.permissions)
permissions.restrict()
defs = build_definitions()

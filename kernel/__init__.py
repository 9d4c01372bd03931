"""The shared kernel: settings, domain codes, identifiers, calendar, raw and published table contracts.

Every part of the system (simulator, ingest, dbt, Dagster, service, dashboards, command line) may import it;
it imports none of them.
"""

"""The asset graph: reference and upstream ingest → dbt models → publication."""

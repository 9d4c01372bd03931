"""Orchestration: Dagster assets (ingest, dbt, publish), checks, the first-Saturday schedule and the sensors.

``definitions.py`` is the code location; everything else is imported from it.
"""

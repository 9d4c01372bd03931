"""Queries, charts and helpers of the dashboards; the pages in ``app_pages/`` only lay them out."""

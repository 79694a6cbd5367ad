"""Read-only views assembled from the database: an instance's diagram states and the metrics
a Prometheus scrape reads.

Uses: any package below.
"""

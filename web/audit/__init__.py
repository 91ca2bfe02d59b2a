"""Audit: tamper evidence, as-of views and compliance bundles: pages and JSON API."""

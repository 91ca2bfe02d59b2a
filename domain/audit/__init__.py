"""Audit: tamper evidence, as-of views and compliance bundles: aggregates, events and rules."""

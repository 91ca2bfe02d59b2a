"""Audit: tamper evidence, as-of views and compliance bundles: property tests."""

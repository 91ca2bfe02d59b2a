"""Audit: tamper evidence, as-of views and compliance bundles: use cases, queries, schemas, documents and reports."""

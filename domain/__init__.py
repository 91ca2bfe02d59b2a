"""Governance Ledger domain model: aggregates, events and rules (no Flask, no SQL)."""

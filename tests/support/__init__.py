"""Shared test helpers: fixtures of stored releases, per-area scenarios, golden files."""

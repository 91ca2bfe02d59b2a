"""On-call: property tests."""

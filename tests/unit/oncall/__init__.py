"""On-call: unit tests."""

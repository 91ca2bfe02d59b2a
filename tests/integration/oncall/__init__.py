"""On-call: integration tests."""

"""Change requests: integration tests."""

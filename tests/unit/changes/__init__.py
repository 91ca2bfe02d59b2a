"""Change requests: unit tests."""

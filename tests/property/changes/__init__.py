"""Change requests: property tests."""

"""Change Control Board: integration tests."""

"""Change Control Board: property tests."""

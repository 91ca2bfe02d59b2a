"""Change Control Board: aggregates, events and rules."""

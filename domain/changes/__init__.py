"""Change requests: aggregates, events and rules."""

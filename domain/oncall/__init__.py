"""On-call: aggregates, events and rules."""

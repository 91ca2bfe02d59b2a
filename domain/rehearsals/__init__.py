"""Release rehearsals: aggregates, events and rules."""

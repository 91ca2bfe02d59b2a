"""Read models built from the event log by projections that track their position."""

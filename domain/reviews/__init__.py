"""Post-launch reviews and the action item tracker: aggregates, events and rules."""

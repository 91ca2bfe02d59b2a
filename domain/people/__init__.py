"""People, roles, credentials and sign-in: aggregates, events and rules."""

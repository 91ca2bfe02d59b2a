"""People, roles, credentials and sign-in: unit tests."""

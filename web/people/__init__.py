"""People, roles, credentials and sign-in: pages and JSON API."""

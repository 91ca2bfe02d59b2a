"""People: the admin page and personal tokens: integration tests."""

"""Release rehearsals: integration tests."""

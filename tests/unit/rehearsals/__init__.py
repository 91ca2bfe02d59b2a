"""Release rehearsals: unit tests."""

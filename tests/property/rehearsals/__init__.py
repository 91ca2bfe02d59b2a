"""Release rehearsals: property tests."""

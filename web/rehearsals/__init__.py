"""Release rehearsals: pages and JSON API."""

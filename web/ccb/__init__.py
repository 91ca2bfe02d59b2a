"""Change Control Board: pages and JSON API."""

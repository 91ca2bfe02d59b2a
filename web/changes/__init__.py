"""Change requests: pages and JSON API."""

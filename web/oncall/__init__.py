"""On-call: pages and JSON API."""

"""The JSON API under /api/v1: the parent blueprint and the OpenAPI document."""

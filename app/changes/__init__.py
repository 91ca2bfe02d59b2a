"""Change requests: use cases, queries, schemas, documents and reports."""

"""Change Control Board: use cases, queries, schemas, documents and reports."""

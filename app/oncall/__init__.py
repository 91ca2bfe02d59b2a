"""On-call: use cases, queries, schemas, documents and reports."""

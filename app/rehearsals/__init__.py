"""Release rehearsals: use cases, queries, schemas, documents and reports."""

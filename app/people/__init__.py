"""People, roles, credentials and sign-in: use cases, queries, schemas, documents and reports."""

"""Post-launch reviews and the action item tracker: use cases, queries, schemas, documents and reports."""

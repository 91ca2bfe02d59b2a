"""Application layer: the ledger application service, commands, queries and configuration."""

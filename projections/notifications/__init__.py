"""Read models of notifications: deliveries (the outbox the worker claims from) and webhooks."""

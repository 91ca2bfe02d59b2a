"""Notifications: the outbox worker, email and webhook channels, inbound alert integrations."""

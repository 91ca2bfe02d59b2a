"""Notifications: outbound deliveries (email, webhooks), webhook subscriptions, inbound alert
integrations and people's channel preferences."""

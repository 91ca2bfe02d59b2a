"""Notifications on the web: webhooks, integrations, preferences (JSON API) and the inbound
alert endpoints monitoring systems post to (authenticated by the integration key)."""

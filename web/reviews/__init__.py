"""Post-launch reviews and the action item tracker: pages and JSON API."""

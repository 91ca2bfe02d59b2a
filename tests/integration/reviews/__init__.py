"""Post-launch reviews and the action item tracker: integration tests."""

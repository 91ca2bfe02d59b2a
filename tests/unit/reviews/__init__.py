"""Post-launch reviews and the action item tracker: unit tests."""

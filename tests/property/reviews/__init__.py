"""Post-launch reviews and the action item tracker: property tests."""

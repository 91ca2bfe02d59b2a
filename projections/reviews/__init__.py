"""Post-launch reviews and the action item tracker: read-model tables and the projection that fills them."""

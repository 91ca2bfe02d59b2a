"""Change requests: read-model tables and the projection that fills them."""

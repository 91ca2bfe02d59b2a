"""Change Control Board: read-model tables and the projection that fills them."""

"""People, roles, credentials and sign-in: read-model tables and the projection that fills them."""

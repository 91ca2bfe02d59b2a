"""The ``govledger`` command line (delivery layer: it builds the web app for ``serve``): integration tests."""

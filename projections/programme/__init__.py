"""Read models of the Track 4 programme."""

"""The Track 4 programme: readiness derived from evidence, owners and timeboxes, risks."""

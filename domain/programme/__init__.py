"""The Track 4 programme: the guide's activities, success criteria, sign-offs and risks."""

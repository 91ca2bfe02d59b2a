"""The programme page and its JSON API."""

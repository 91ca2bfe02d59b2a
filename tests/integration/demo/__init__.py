"""The demo story: integration tests."""

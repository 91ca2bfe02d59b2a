"""The projection runner: integration tests."""

"""The realtime service: live topics that clients subscribe to and platform services publish to."""

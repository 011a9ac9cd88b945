"""The notification service: notifications, preferences and their live stream."""

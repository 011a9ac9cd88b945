"""The analytics service: usage events and their aggregates."""

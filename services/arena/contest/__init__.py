"""The contest service: contests, registrations, scoring and live leaderboards."""

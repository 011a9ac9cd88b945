"""The ai_analysis service: AI code review: findings, complexity, hints and similarity."""

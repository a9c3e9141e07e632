"""Retraining, champion vs challenger, and sequential A/B decisions."""

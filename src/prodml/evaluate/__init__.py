"""Metrics and business value of decisions."""

"""Candidates, splits, cross-validation and selection: from a table to a fitted model."""

"""Audit: the one append-only activity table."""

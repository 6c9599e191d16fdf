"""Incidents (issue 6)."""

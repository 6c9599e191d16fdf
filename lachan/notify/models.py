"""See apps.py."""

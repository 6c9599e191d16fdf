"""Lá Chắn — network-security coordination platform."""

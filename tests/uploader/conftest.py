"""Delivery tests use the `receiver` and `enrolled_hotel` fixtures of tests/conftest.py."""

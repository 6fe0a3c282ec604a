"""Reusable widgets, each with its own small DEFAULT_CSS; screen layout lives in `styles/*.tcss`."""

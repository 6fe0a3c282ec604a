"""The venue's home directory on disk: where it is, its `config.toml`, and writing files atomically.

Holds: `config` (the settings a venue keeps, the file names in its home).
May import: `agent.domain` only.
"""

"""The home's files are this user's alone: folders 0700, files 0600 (issue 16, finding 10).

The home holds the register (personal data, sealed but with its metadata in the clear), the key file, the
config (a database URL may carry a password), backups and exports. On a shared front-desk PC other
accounts must not read any of it. Modes are set when a file or folder is made, never widened later, and
put right on a home made before this rule. SQLite gives the write-ahead log and shared-memory files it
adds the database file's mode, so the database file is made (0600) before SQLite opens it.

On Windows, modes do not apply: a user's profile folder is private by default.
"""

from __future__ import annotations

import os
from pathlib import Path

_POSIX = os.name != "nt"


def private_folder(path: Path) -> Path:
    """Make `path` (and missing parents) if needed, and make it 0700; returns it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if _POSIX:
        os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Make `path` as an empty file 0600 if it does not exist, else make it 0600; returns it."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if _POSIX:
        os.chmod(path, 0o600)
    return path


def private_database(database: Path) -> None:
    """A SQLite database and its companions (`-wal`, `-shm`) 0600 in a 0700 folder, made before SQLite
    opens it so that every file SQLite adds gets the same mode."""
    private_folder(database.parent)
    private_file(database)
    for companion in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if companion.exists() and _POSIX:
            os.chmod(companion, 0o600)

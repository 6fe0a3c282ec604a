"""Schema migrations (alembic), run when the agent opens its database.

Alembic is the standard for SQLAlchemy schemas and speaks both SQLite (by copying tables) and
PostgreSQL. It is imported only when the schema is not at the newest revision, so an ordinary start
pays one small query. Before an existing SQLite database is upgraded, a copy is taken with SQLite's
online backup API, so a failed upgrade never costs a venue its register.

On PostgreSQL several desks may start at once after an update, each finding the schema old. The upgrade
runs in one transaction that first takes an advisory lock: the first desk upgrades, the others wait for
it, then find the schema current and do nothing. PostgreSQL's DDL is transactional, so a failed upgrade
leaves the old schema whole. The SQLite file backup has no PostgreSQL counterpart here: a site on
PostgreSQL backs up with `pg_dump` before it updates dengji (docs/desks.md).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from agent.home.private import private_file, private_folder
from agent.store.database import lock

if TYPE_CHECKING:
    from agent.store.vault import Vault

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision; a test checks it equals alembic's head, so it cannot drift.
HEAD = "0009"
_LOCK = "dengji schema migration"


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _alembic_config(conn: Connection, vault: Vault | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    cfg.attributes["vault"] = vault  # for migrations that re-seal fields (0009)
    return cfg


def upgrade(engine: Engine, revision: str = "head", backup_dir: Path | None = None,
            vault: Vault | None = None) -> str | None:
    """Bring the schema to `revision`; returns the backup file made first, if any. `vault`: the store's
    key, which a migration that re-seals fields needs when there are any (0009)."""
    with engine.connect() as conn:
        current = current_revision(conn)
    if current == HEAD and revision == "head":
        return None
    backup = None
    if current is not None and backup_dir is not None and engine.url.get_backend_name() == "sqlite":
        backup = backup_sqlite(engine, backup_dir, f"before-upgrade-from-{current}")
    from alembic import command

    with engine.begin() as conn:
        lock(conn, _LOCK)  # PostgreSQL: one desk upgrades, the others wait and then find nothing to do
        command.upgrade(_alembic_config(conn, vault), revision)
    return str(backup) if backup else None


def backup_sqlite(engine: Engine, backup_dir: Path, label: str) -> Path:
    """Copy a live SQLite database consistently (the online backup API) into `backup_dir`."""
    private_folder(backup_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir / f"dengji-{stamp}-{label}.sqlite3"
    private_file(target)  # a copy of the register: this user's only, like the register
    source = sqlite3.connect(engine.url.database or "")
    try:
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
    return target


def known_revisions() -> set[str]:
    """Every schema revision this program's migrations know. A database at any other revision was made
    by a newer dengji: opening it here could damage it (a restore refuses it)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}

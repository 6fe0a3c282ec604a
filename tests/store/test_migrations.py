"""The schema is managed by migrations from day one, and they agree with the models."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

from agent.store import migrate
from agent.store.database import make_engine


def test_head_constant_matches_the_migration_scripts() -> None:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == migrate.HEAD


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diffs == []


def test_a_database_from_the_first_schema_upgrades_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, revision="0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO venue (kind, name, created_at) VALUES ('rental', '老房东', '2026-01-01 00:00:00')"))
    backup = migrate.upgrade(engine, backup_dir=tmp_path / "backups")
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD
        assert conn.execute(text("SELECT name FROM venue")).scalar() == "老房东"
    if migrate.HEAD != "0001":
        assert backup is not None
        assert sqlite3.connect(backup).execute("SELECT name FROM venue").fetchone() == ("老房东",)


def test_backup_copies_a_live_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO venue (kind, name, created_at) VALUES ('hotel', '如家', '2026-01-01 00:00:00')"))
    copy = migrate.backup_sqlite(engine, tmp_path / "b", "test")
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM venue").fetchone() == (1,)
    assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_sqlite_pragmas_are_set_for_durability(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_a_failed_statement_does_not_carry_its_parameters_into_the_error(tmp_path: Path) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('k', x'00')"))
    with pytest.raises(IntegrityError) as raised, engine.begin() as conn:
        conn.execute(text("INSERT INTO meta (key, value) VALUES (:key, :value)"),
                     {"key": "k", "value": "张三 11010519491231002X".encode()})
    assert "11010519491231002X" not in str(raised.value) and "parameters hidden" in str(raised.value)


def test_events_from_before_the_audit_trail_are_entered_in_it(tmp_path: Path) -> None:
    from agent.store import audit
    from agent.store.database import Store
    from agent.store.vault import Vault, new_master_key

    engine = make_engine(f"sqlite:///{tmp_path / 'before.sqlite3'}")
    migrate.upgrade(engine, revision="0003")
    when = "'2026-01-01 00:00:00.000000'"
    with engine.begin() as conn:
        for statement in (
            f"INSERT INTO venue (id, kind, name, created_at) VALUES (1, 'hotel', '老店', {when})",
            "INSERT INTO unit (id, venue_id, label) VALUES (1, 1, '301')",
            f"INSERT INTO person (id, doc_type, doc_masked, name_sealed, created_at, updated_at) "
            f"VALUES (1, 'resident_id', '410102********1234', x'', {when}, {when})",  # a name sealed would have to open in its row (audit verify checks)
            f"INSERT INTO registration (id, venue_id, unit_id, person_id, kind, arrived_at, created_at, updated_at) "
            f"VALUES (1, 1, 1, 1, 'stay', {when}, {when}, {when})",
            f"INSERT INTO event (seq, event_id, type, registration_id, occurred_at, payload_sealed, operator, created_at) "
            f"VALUES (1, 'e1', 'registration', 1, {when}, x'01cd', 'owner', {when})",
            f"INSERT INTO event (seq, event_id, type, registration_id, occurred_at, payload_sealed, operator, created_at) "
            f"VALUES (2, 'e2', 'departure', 1, {when}, x'01ef', NULL, {when})",
        ):
            conn.execute(text(statement))
    migrate.upgrade(engine)
    store = Store(engine, Vault(new_master_key()))
    verdict = audit.verify(store)
    assert verdict.intact and verdict.count == 2 and not verdict.warnings
    assert [(e.action, e.event_seq, e.as_dict()["detail"]) for e in audit.entries(store)] == [
        ("registration", 1, {"before_audit": True}), ("departure", 2, {"before_audit": True})]

"""The agent's files at rest (issue 16, finding 10): this user's only (files 0600 in a 0700 home), and each
sealed field bound to its table, column and row, so that swapping two people's sealed fields in the
SQLite file is found out, not shown as swapped identities. The real CLI on a real home and SQLite file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agent.cli import main
from agent.cli.demo_people import sample_registration
from agent.home.config import DATABASE_FILE
from agent.secrets.keystore import KEY_FILE
from agent.store import migrate
from agent.store.opening import open_store

SEALED = ("name_sealed", "doc_number_sealed", "birth_date_sealed", "address_sealed", "phone_sealed",
          "residence_permit_sealed")


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files were made 0644 in a 0755 folder."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def two_guests(private_home: Path) -> Path:
    assert run("init", "--kind", "hotel", "--name", "测试宾馆").exit_code == 0
    records = [sample_registration(i, "stay", "2026-11-20 10:00", unit=f"30{i}") for i in (1, 2)]
    result = run("register", "--json", "-", input=json.dumps(records, ensure_ascii=False))
    assert result.exit_code == 0, result.output
    return private_home


def test_the_home_and_every_file_in_it_are_this_users_only(umask_022: None, private_home: Path,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("init", "--kind", "hotel", "--name", "测试宾馆").exit_code == 0
    record = json.dumps(sample_registration(1, "stay", "2026-11-20 10:00"), ensure_ascii=False)
    assert run("register", "--json", "-", input=record).exit_code == 0
    export = tmp_path / "register.csv"
    assert run("export", "-o", str(export)).exit_code == 0
    monkeypatch.setenv("DENGJI_BACKUP_PASSPHRASE", "a backup passphrase")
    backup = tmp_path / "b.dengji-backup"
    assert run("backup", str(backup)).exit_code == 0
    store = open_store(private_home)  # a process with the store open: the WAL and shared memory exist
    try:
        assert mode(private_home) == 0o700
        for name in (DATABASE_FILE, DATABASE_FILE + "-wal", DATABASE_FILE + "-shm", KEY_FILE, "config.toml"):
            assert (private_home / name).exists(), name
            assert mode(private_home / name) == 0o600, name
        assert mode(export) == 0o600 and mode(backup) == 0o600
    finally:
        store.dispose()


def test_a_home_made_before_is_made_private_when_opened(umask_022: None, two_guests: Path) -> None:
    os.chmod(two_guests, 0o755)
    os.chmod(two_guests / DATABASE_FILE, 0o644)
    assert run("list").exit_code == 0
    assert mode(two_guests) == 0o700 and mode(two_guests / DATABASE_FILE) == 0o600


def swap(database: Path, column: str) -> None:
    """Swap two people's sealed `column` in the SQLite file, as a thief of the disk could."""
    with sqlite3.connect(database) as conn:
        (a, first), (b, second) = conn.execute(f"SELECT id, {column} FROM person ORDER BY id").fetchall()
        conn.execute(f"UPDATE person SET {column} = ? WHERE id = ?", (second, a))
        conn.execute(f"UPDATE person SET {column} = ? WHERE id = ?", (first, b))


@pytest.mark.parametrize("column", ["name_sealed", "phone_sealed"])
def test_two_peoples_sealed_fields_swapped_in_the_file_are_refused(two_guests: Path, column: str) -> None:
    before = json.loads(run("list", "--json").output)
    swap(two_guests / DATABASE_FILE, column)
    for lang, said in (("en", "was altered or moved from another record"), ("zh", "被改动过或被移动到了别的记录")):
        result = run("--lang", lang, "list")
        assert result.exit_code == 2 and said in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    verdict = run("--lang", "en", "audit", "verify")
    assert verdict.exit_code == 1 and "was altered or moved from another record" in verdict.output, verdict.output
    swap(two_guests / DATABASE_FILE, column)  # put back: the register reads as before
    assert run("audit", "verify").exit_code == 0
    assert json.loads(run("list", "--json").output) == before


def test_the_migration_reseals_an_old_database_and_no_old_ciphertext_remains(two_guests: Path) -> None:
    """The database is taken back to revision 0008 (its fields sealed the old way, to their column only),
    then opened as an update would open it."""
    before = json.loads(run("list", "--json").output)
    store = open_store(two_guests)
    try:
        from alembic import command

        with store.engine.begin() as conn:
            command.downgrade(migrate._alembic_config(conn, store.vault), "0008")
    finally:
        store.dispose()
    database = two_guests / DATABASE_FILE
    with sqlite3.connect(database) as conn:
        old = [bytes(blob) for row in conn.execute(f"SELECT {', '.join(SEALED)} FROM person") for blob in row if blob]
    assert old and {blob[:1] for blob in old} == {b"\x01"}

    assert json.loads(run("list", "--json").output) == before  # opened: migrated to the head
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (migrate.HEAD,)
        new = [bytes(blob) for row in conn.execute(f"SELECT {', '.join(SEALED)} FROM person") for blob in row if blob]
    assert len(new) == len(old) and {blob[:1] for blob in new} == {b"\x02"}
    assert not set(old) & set(new)
    swap(database, "name_sealed")
    assert run("--lang", "en", "list").exit_code == 2

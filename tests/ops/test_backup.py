"""`dengji backup` / `dengji restore` through real parts: the real command, real homes, a real receiver.

The story of issue #7: a venue's PC dies, the owner restores onto a new machine, which lists the same
people and goes on reporting with the same device (its key came back with the backup).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.ops.backup import inspect_database
from agent.ops.backup_file import seal, unseal
from tests.uploader.processes import Receiver, dengji, local_event_ids, register_guests, status

BACKUP_PASSPHRASE = "柳树下的自行车 bicycle under the willow"


@pytest.fixture(autouse=True)
def backup_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DENGJI_BACKUP_PASSPHRASE", BACKUP_PASSPHRASE)


def move_to(home: Path, monkeypatch: pytest.MonkeyPatch, key_passphrase: str = "the new machine's passphrase") -> None:
    """Carry on as on another machine: another home, and another passphrase for its key file."""
    monkeypatch.setenv("DENGJI_HOME", str(home))
    monkeypatch.setenv("DENGJI_PASSPHRASE", key_passphrase)


def listed() -> list[dict[str, object]]:
    return json.loads(dengji("list", "--json").stdout)


def refused(*args: str) -> str:
    """Run a command that must be refused with a message (exit 2), never a traceback; return the message."""
    out = dengji(*args, check=False)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    return out.stderr


def test_restore_on_a_new_machine_lists_the_same_people_and_can_still_send(
        enrolled_hotel: Receiver, private_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_guests(3)
    dengji("send")
    register_guests(2, start=3)  # still waiting when the backup is made
    backup = tmp_path / "usb" / "hotel.dengji-backup"
    backup.parent.mkdir()
    out = dengji("backup", str(backup))
    assert "backup written and verified" in out.stdout
    assert "registrations 5, people 5, events 5 (2 waiting), schema" in out.stdout
    assert "backup" in dengji("audit", "list", "--last", "1").stdout  # taking the register away is on record
    people = listed()
    # The old PC sends those two before it dies: the backup is now older than what the platform holds.
    dengji("send")

    new_home = tmp_path / "new-pc"
    move_to(new_home, monkeypatch)
    out = dengji("restore", str(backup))
    assert "registrations 5, people 5, events 5" in out.stdout
    assert "2 events were waiting" in out.stdout and "deduplicated" in out.stdout
    assert listed() == people
    register_guests(1, start=5)
    dengji("send")  # the device's signing key came back: the platform takes its signatures
    held = enrolled_hotel.event_ids()
    assert len(held) == len(set(held)) == 6, "the platform holds an event twice"
    assert set(held) == set(local_event_ids(new_home))
    assert (status()["sent"], status()["pending"]) == (6, 0)


def restored_nothing(home: Path) -> bool:
    return not (home / "dengji.sqlite3").exists() and not (home / "keys.enc").exists()


@pytest.fixture
def hotel_backup(private_home: Path, tmp_path: Path) -> Path:
    """A hotel with three guests, backed up."""
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    register_guests(3)
    backup = tmp_path / "hotel.dengji-backup"
    dengji("backup", str(backup))
    return backup


def test_a_store_sealed_with_the_national_suite_restores_as_it_was(hotel_backup: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #20: the suite at rest is the store's (a `meta` row), so it comes back with the backup."""
    assert "national suite SM4-GCM / HMAC-SM3; re-sealed 3 person(s), 3 event(s)" in dengji("at-rest", "gm").stdout
    people = listed()
    backup = tmp_path / "gm.dengji-backup"
    dengji("backup", str(backup))
    move_to(tmp_path / "new-pc", monkeypatch)
    assert "registrations 3, people 3, events 3" in dengji("restore", str(backup)).stdout
    assert listed() == people
    assert "national suite" in dengji("at-rest").stdout
    assert "the audit log is intact" in dengji("audit", "verify").stdout
    register_guests(1, start=3)
    with sqlite3.connect(tmp_path / "new-pc" / "dengji.sqlite3") as db:
        formats = {bytes(row[0])[:1] for row in db.execute("SELECT name_sealed FROM person")}
    assert formats == {b"\x03"}


def test_a_wrong_passphrase_is_refused_and_changes_nothing(hotel_backup: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    move_to(tmp_path / "new-pc", monkeypatch)
    monkeypatch.setenv("DENGJI_BACKUP_PASSPHRASE", "not the backup passphrase")
    assert "wrong backup passphrase" in refused("restore", str(hotel_backup))
    assert restored_nothing(tmp_path / "new-pc")
    chinese = dengji("--lang", "zh", "restore", str(hotel_backup), check=False)
    assert "备份口令不对" in chinese.stderr


def test_a_changed_byte_is_detected_and_changes_nothing(hotel_backup: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    blob = bytearray(hotel_backup.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    tampered = tmp_path / "tampered.dengji-backup"
    tampered.write_bytes(bytes(blob))
    move_to(tmp_path / "new-pc", monkeypatch)
    assert "damaged or was altered" in refused("restore", str(tampered))
    assert restored_nothing(tmp_path / "new-pc")


def test_a_truncated_file_is_detected_and_changes_nothing(hotel_backup: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cut = tmp_path / "cut.dengji-backup"
    cut.write_bytes(hotel_backup.read_bytes()[:-1000])
    move_to(tmp_path / "new-pc", monkeypatch)
    assert "incomplete" in refused("restore", str(cut))
    assert restored_nothing(tmp_path / "new-pc")


def test_without_a_passphrase_for_the_new_key_file_nothing_is_restored(hotel_backup: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    move_to(tmp_path / "new-pc", monkeypatch)
    monkeypatch.delenv("DENGJI_PASSPHRASE")  # no OS keyring here, and nothing to lock the restored keys with
    assert "set DENGJI_PASSPHRASE" in refused("restore", str(hotel_backup))
    assert restored_nothing(tmp_path / "new-pc")


def test_restore_over_a_store_needs_force_and_keeps_the_old_one(hotel_backup: Path, private_home: Path,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_guests(1, start=3)  # made after the backup
    assert len(listed()) == 4
    assert "add --force" in refused("restore", str(hotel_backup))
    assert len(listed()) == 4  # untouched
    out = dengji("restore", "--force", str(hotel_backup))
    assert len(listed()) == 3
    safety = next((private_home / "backups").glob("before-restore-*.dengji-backup"))
    assert str(safety) in out.stdout
    # What the restore replaced comes back from the safety copy, under the same backup passphrase.
    move_to(tmp_path / "third", monkeypatch)
    dengji("restore", str(safety))
    assert len(listed()) == 4


def test_restore_refuses_while_the_uploader_runs(hotel_backup: Path, private_home: Path) -> None:
    from agent.store.opening import open_store
    from uploader import lease

    store = open_store(private_home)
    assert lease.acquire(store, "daemon@elsewhere:1")
    try:
        message = refused("restore", "--force", str(hotel_backup))
        assert "in use (daemon@elsewhere:1)" in message and "stop the uploader" in message
    finally:
        lease.release(store, "daemon@elsewhere:1")
        store.dispose()


def rewrite(backup: Path, target: Path, change: Callable[[Path], None]) -> None:
    """Seal the backup's database again after `change`, as another version of dengji would have made it."""
    database = target.with_suffix(".sqlite3")
    with open(backup, "rb") as f, open(database, "wb") as out:
        opened = unseal(f, BACKUP_PASSPHRASE, out)
    change(database)
    manifest = dict(opened.manifest)
    inspection = inspect_database(database, base64.b64decode(manifest["secrets"]["master-key"]))
    data = database.read_bytes()
    manifest.update(schema=inspection.schema, counts=inspection.counts, database_bytes=len(data),
                    database_sha256=hashlib.sha256(data).hexdigest())
    with open(target, "wb") as out:
        seal(out, BACKUP_PASSPHRASE, {**opened.header, "schema": inspection.schema}, manifest, io.BytesIO(data),
             len(data))


def test_a_backup_from_an_older_schema_is_upgraded(hotel_backup: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from agent.secrets.keystore import KEY_FILE, MASTER_KEY_NAME, PassphraseFile
    from agent.store import migrate
    from agent.store.vault import Vault

    home = Path(os.environ["DENGJI_HOME"])
    vault = Vault(PassphraseFile(home / KEY_FILE, os.environ["DENGJI_PASSPHRASE"]).get(MASTER_KEY_NAME) or b"")

    def downgrade(database: Path) -> None:
        # A plain engine: foreign keys off, as SQLite needs them when a downgrade rebuilds a table that
        # others refer to (the store's own engine turns them on).
        engine = create_engine(f"sqlite:///{database}")
        with engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
            cfg.attributes["connection"] = conn
            cfg.attributes["vault"] = vault  # 0009 is undone by re-sealing the people's fields the old way
            command.downgrade(cfg, "0002")
        engine.dispose()

    old = tmp_path / "old.dengji-backup"
    rewrite(hotel_backup, old, downgrade)
    move_to(tmp_path / "new-pc", monkeypatch)
    out = dengji("restore", str(old))
    assert f"schema upgraded from 0002 to {migrate.HEAD}" in out.stdout
    assert len(listed()) == 3
    assert sqlite3.connect(tmp_path / "new-pc" / "dengji.sqlite3").execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_backup_from_a_newer_dengji_is_refused(hotel_backup: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def from_the_future(database: Path) -> None:
        conn = sqlite3.connect(database)
        with conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.close()  # the last connection to close folds the WAL back into the file

    newer = tmp_path / "newer.dengji-backup"
    rewrite(hotel_backup, newer, from_the_future)
    move_to(tmp_path / "new-pc", monkeypatch)
    message = refused("restore", str(newer))
    assert "newer dengji (schema 9999)" in message and "update this program" in message
    assert restored_nothing(tmp_path / "new-pc")


def test_backup_refusals_say_what_to_do(private_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "no store" in refused("backup", str(tmp_path / "b.dengji-backup"))
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    monkeypatch.setenv("DENGJI_BACKUP_PASSPHRASE", "ninechars")  # the one rule: 10, as for the key file
    assert "at least 10 characters" in refused("backup", str(tmp_path / "b.dengji-backup"))
    monkeypatch.delenv("DENGJI_BACKUP_PASSPHRASE")
    assert "set DENGJI_BACKUP_PASSPHRASE" in refused("backup", str(tmp_path / "b.dengji-backup"))
    monkeypatch.setenv("DENGJI_BACKUP_PASSPHRASE", BACKUP_PASSPHRASE)
    (tmp_path / "taken.dengji-backup").write_bytes(b"something else")
    assert "already exists" in refused("backup", str(tmp_path / "taken.dengji-backup"))
    out = dengji("backup", str(tmp_path))  # a folder: a dated name inside it
    made = list(tmp_path.glob("dengji-*.dengji-backup"))
    assert len(made) == 1 and str(made[0]) in out.stdout
    assert made[0].stat().st_mode & 0o077 == 0  # only the owner may read it
    assert not list(tmp_path.glob("*.partial")) and not list(private_home.glob(".backup-*"))


WRITER = """
import sys
from pathlib import Path

from agent.register.registry import Registry
from agent.cli.demo_people import sample_registration
from agent.store.opening import open_store

stop = Path(sys.argv[1])
registry = Registry(open_store(Path(sys.argv[2])))
count = 0
while not stop.exists():
    assert registry.register(sample_registration(1000 + count, "stay", "2026-11-20 10:00")).ok
    count += 1
    if count == 20:
        print("writing", flush=True)
print(count, flush=True)
"""


def test_a_backup_taken_while_another_process_registers_is_consistent(private_home: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop), str(private_home)], stdout=subprocess.PIPE,
                              text=True)
    assert writer.stdout is not None
    try:
        assert writer.stdout.readline().strip() == "writing"
        dengji("backup", str(tmp_path / "live.dengji-backup"))
    finally:
        stop.touch()
        written = int(writer.stdout.read().strip().splitlines()[-1])
        assert writer.wait(60) == 0
    move_to(tmp_path / "new-pc", monkeypatch)
    dengji("restore", str(tmp_path / "live.dengji-backup"))
    conn = sqlite3.connect(tmp_path / "new-pc" / "dengji.sqlite3")
    registrations, events, outbox = (conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                                     for table in ("registration", "event", "outbox"))
    # Each registration was written with its event and outbox entry in one transaction: a consistent
    # copy has all three or none of them, whatever the writer was doing at that moment.
    assert 20 <= registrations <= written and registrations == events == outbox

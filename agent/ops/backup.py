"""`dengji backup` and `dengji restore`: a venue's register and its keys, onto a new machine.

A venue's PC dies; the owner restores onto a new one. That needs the database AND the secrets that open
it (the master key of the personal fields; the device's signing key is sealed in the database under it),
which lives in the OS keyring or `keys.enc`, never beside the database. So a backup is one file (`agent.ops.backup_file`) holding a consistent
copy of the SQLite database, taken with SQLite's online backup API while the daemon may be writing, and
those secrets, all encrypted under a backup passphrase the owner chooses.

A backup is verified after writing: it is decrypted back, and the copy must pass `PRAGMA
integrity_check`, open the store's key check value with the key it carries, and have the row counts and
SHA-256 that were recorded. Only then is the file renamed into place: a backup file that exists is good.

A restore verifies the same before it changes anything, refuses to replace an existing store without
`force`, and keeps what it replaces (an encrypted backup under the same passphrase, or a copy of the files
when the old store cannot be opened any more) in `HOME/backups/`. A backup made by an older dengji is
upgraded by the ordinary migrations at the first open; one from a newer dengji is refused.

Restoring an old backup puts events back in the outbox that the platform may already hold. They are sent
again and the platform answers `duplicate` (it deduplicates by event id), so that is safe.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import __version__
from agent.domain.errors import BackupError, ConfigError, DengjiError, KeystoreError
from agent.home.config import (
    CONFIG_FILE,
    DATABASE_FILE,
    Config,
    load_config,
    save_config,
)
from agent.home.private import private_folder
from agent.ops.backup_file import SUFFIX, Opened, damaged, seal, unseal
from agent.secrets.keystore import (
    KEY_FILE,
    MASTER_KEY_NAME,
    PASSPHRASE_ENV,
    Keystore,
    PassphraseFile,
    SystemKeyring,
    os_keyring_usable,
    passphrase_from_environment,
)
from agent.store import migrate
from agent.store.vault import Vault
from agent.validation import Problem
from agent.validation.passphrase import check_new_passphrase

SECRETS = (MASTER_KEY_NAME,)  # the device's signing key is sealed in the store itself
PASSPHRASE_ENV_BACKUP = "DENGJI_BACKUP_PASSPHRASE"
_COPY_STEP_PAGES = 4096  # 16 MiB per step at 4 KiB pages: progress without holding a read lock for long

# Stages reported to `progress(stage, done, total)`.
COPY, SEAL, VERIFY, CHECK = "copy", "seal", "verify", "check"
StageProgress = Callable[[str, int, int], None]


def _error(code: str, zh: str, en: str) -> BackupError:
    return BackupError(zh, en, code=code)


def _from(exc: DengjiError, code: str) -> BackupError:
    """A store, key or config error that stopped a backup or a restore, said as the backup's error."""
    return BackupError(exc.problem.zh, exc.problem.en, code=code)


@dataclass(frozen=True)
class Inspection:
    """What a database file holds, as checked by `inspect_database`."""

    schema: str | None
    counts: dict[str, int]  # rows per table
    waiting: int  # events not yet accepted by the platform (pending or in flight)


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int
    inspection: Inspection
    seconds: float


@dataclass(frozen=True)
class RestoreReport:
    created_at: str  # when the backup was made (ISO 8601, UTC)
    schema_from: str | None  # the backup's schema revision
    schema_to: str | None  # the store's, after migrations
    inspection: Inspection
    safety_copy: Path | None  # what the restore replaced, kept here
    notes: list[Problem] = field(default_factory=list)


def check_passphrase(passphrase: str) -> None:
    """A backup passphrase protects every person's details on a USB stick: the one rule of
    `agent.validation.passphrase`, as for the key file."""
    problem = check_new_passphrase(passphrase)
    if problem is not None:
        raise BackupError.from_problem(problem)


def inspect_database(path: Path, master_key: bytes, *, integrity: bool = True) -> Inspection:
    """Check a database file: `integrity_check` (the slow part: it reads every page), the key check
    value, and count its rows.

    Raises `BackupError` (damaged) when the file is not a sound database or the key does not open it.
    """
    from agent.store.opening import VAULT_CHECK_KEY, key_matches

    try:
        conn = sqlite3.connect(path)
    except sqlite3.Error:
        raise damaged() from None
    try:
        if integrity and conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise _error("backup.database_damaged", "备份中的数据库未通过完整性检查（integrity_check），无法使用",
                         "the database in the backup fails SQLite's integrity check and cannot be used")
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (VAULT_CHECK_KEY,)).fetchone()
        if row is None or not key_matches(Vault(master_key), row[0]):
            raise damaged()
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
        schema = None
        if "alembic_version" in counts:
            counts.pop("alembic_version")
            schema = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        waiting = conn.execute("SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight')").fetchone()[0]
    except sqlite3.Error:
        raise damaged() from None
    finally:
        conn.close()
    return Inspection(schema, counts, waiting)


def _online_copy(source: Path, target: Path, progress: StageProgress | None) -> None:
    """A consistent copy of a live database (SQLite's online backup API; writers may go on meanwhile)."""
    src = sqlite3.connect(source, timeout=10)
    try:
        dst = sqlite3.connect(target)
        try:
            def step(_status: int, remaining: int, total: int) -> None:
                if progress:
                    progress(COPY, total - remaining, total)

            src.backup(dst, pages=_COPY_STEP_PAGES, progress=step)
        finally:
            dst.close()
    finally:
        src.close()


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _fsync_dir(path: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(path, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sqlite_store(home: Path) -> tuple[Config, Path]:
    """The home's config and database file; a PostgreSQL store is not backed up by this command."""
    try:
        config = load_config(home)
    except ConfigError as exc:
        raise _from(exc, "backup.config") from None
    if config.database_url:
        raise _error("backup.not_sqlite",
                     "此登记库在 PostgreSQL 上：请用 pg_dump 备份数据库，并另行保管密钥",
                     "this store is on PostgreSQL: back up the database with pg_dump and keep the keys safe "
                     "separately")
    return config, home / DATABASE_FILE


def make_backup(home: Path, target: Path, passphrase: str, *, keystore_prompt: Callable[[], str] | None = None,
                progress: StageProgress | None = None) -> BackupReport:
    """Write an encrypted, verified backup of the store of `home` to `target` (which must not exist)."""
    from agent.domain.errors import StoreError
    from agent.store.opening import open_store

    started = time.monotonic()
    check_passphrase(passphrase)
    config, database = _sqlite_store(home)
    if not database.exists():
        raise _error("backup.no_store", f"这里还没有登记库: {home}，没有可备份的内容",
                     f"there is no store in {home}: nothing to back up")
    if target.exists():
        raise _error("backup.target_exists", f"{target} 已经存在，请换一个文件名",
                     f"{target} already exists: choose another file name")
    try:
        store = open_store(home, config, prompt=keystore_prompt)
    except (StoreError, KeystoreError) as exc:
        raise _from(exc, "backup.store") from None
    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=home))  # beside the live data, mode 0700
    partial = target.with_name(target.name + ".partial")
    try:
        assert store.keystore is not None
        secrets = {name: value for name in SECRETS if (value := store.keystore.get(name)) is not None}
        copy = work / "copy.sqlite3"
        _online_copy(database, copy, progress)
        # The copy's integrity is checked once, after the round trip through the file (byte for byte the
        # same, by its SHA-256): here only what the manifest needs.
        inspection = inspect_database(copy, secrets[MASTER_KEY_NAME], integrity=False)
        size = copy.stat().st_size
        created = datetime.now(UTC).isoformat(timespec="seconds")
        header = {"created_at": created, "program": __version__, "schema": inspection.schema}
        manifest = {
            "created_at": created, "schema": inspection.schema, "counts": inspection.counts,
            "waiting": inspection.waiting, "database_bytes": size, "database_sha256": _digest(copy),
            "secrets": {name: base64.b64encode(value).decode() for name, value in secrets.items()},
            "config": {"lang": config.lang, "platform_url": config.platform_url},
        }
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(descriptor, "wb") as out, open(copy, "rb") as data:
                seal(out, passphrase, header, manifest, data, size,
                     (lambda done, total: progress(SEAL, done, total)) if progress else None)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise _error("backup.write_failed", f"无法写入备份文件 {target}: {exc.strerror}",
                         f"cannot write the backup file {target}: {exc.strerror}") from None
        try:
            _verify_file(partial, passphrase, work / "verify.sqlite3", progress)
        except BackupError as exc:
            if exc.problem.code != "backup.database_damaged":
                raise
            raise _error("backup.store_damaged",
                         "登记库本身已损坏（未通过 integrity_check），没有备份。请运行 dengji doctor，并用更早的备份恢复",
                         "the store itself is damaged (it fails integrity_check) and was not backed up: run "
                         "`dengji doctor`, and restore an earlier backup") from None
        os.replace(partial, target)
        _fsync_dir(target.parent)
    finally:
        store.dispose()
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return BackupReport(target, target.stat().st_size, inspection, time.monotonic() - started)


def _verify_file(source: Path, passphrase: str, database: Path,
                 progress: StageProgress | None) -> tuple[Opened, Inspection, dict[str, bytes]]:
    """Decrypt a backup into `database` and check it all: returns what it holds, and its secrets."""
    try:
        with open(source, "rb") as f, open(database, "wb") as out:
            opened = unseal(f, passphrase, out, (lambda done, total: progress(VERIFY, done, total)) if progress else None)
    except OSError as exc:
        raise _error("backup.read_failed", f"无法读取备份文件 {source}: {exc.strerror}",
                     f"cannot read the backup file {source}: {exc.strerror}") from None
    manifest = opened.manifest
    try:
        secrets = {name: base64.b64decode(value) for name, value in manifest["secrets"].items()}
        expected = (manifest["database_bytes"], manifest["database_sha256"], manifest["counts"])
        master_key = secrets[MASTER_KEY_NAME]
    except (KeyError, TypeError, ValueError):
        raise damaged() from None
    if (database.stat().st_size, _digest(database)) != expected[:2]:
        raise damaged()
    if progress:
        progress(CHECK, 0, 1)
    inspection = inspect_database(database, master_key)
    if progress:
        progress(CHECK, 1, 1)
    if inspection.counts != expected[2]:
        raise damaged()
    return opened, inspection, secrets


def read_passphrase(prompt: Callable[[], str] | None) -> str:
    """The backup passphrase: `$DENGJI_BACKUP_PASSPHRASE`, else the prompt (never a command-line argument,
    which other users of the machine could read in the process list)."""
    value = os.environ.get(PASSPHRASE_ENV_BACKUP) or (prompt() if prompt else "")
    if not value:
        raise _error("backup.no_passphrase", f"请设置环境变量 {PASSPHRASE_ENV_BACKUP}（备份口令），或在终端中运行以输入口令",
                     f"set {PASSPHRASE_ENV_BACKUP} to the backup passphrase, or run this at a terminal to type it")
    return value


# -- restore ------------------------------------------------------------------------------------------------


def _sender_running(database: Path) -> str | None:
    """Who holds the sender lease of an existing store (a daemon or a TUI), if anyone does now."""
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT holder, expires_at FROM sender_lease WHERE name = 'sender'").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    if row is None:
        return None
    expires = datetime.fromisoformat(str(row[1]))
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return str(row[0]) if expires > datetime.now(UTC) else None


def _keys_backend(config: Config) -> str:
    """Where the restored secrets go on this machine: the OS keyring when usable, else `keys.enc`."""
    if config.keystore == "keyring" or (config.keystore == "auto" and os_keyring_usable()):
        if not os_keyring_usable():
            raise _error("restore.no_keyring", "配置要求使用系统密钥环，但本机没有可用的密钥环",
                         f'config says keystore = "keyring", but this machine has no usable OS keyring: '
                         f'set keystore = "file" and {PASSPHRASE_ENV}')
        return "keyring"
    return "file"


def _safety_copy(home: Path, database: Path, passphrase: str, keystore_prompt: Callable[[], str] | None,
                 stamp: str) -> Path:
    """Keep the store a restore replaces: as a backup under the same passphrase if it still opens, else
    as a copy of its files (database, key file, config), which is as protected as the originals."""
    backups = private_folder(home / "backups")
    target = backups / f"before-restore-{stamp}{SUFFIX}"
    try:
        make_backup(home, target, passphrase, keystore_prompt=keystore_prompt)
        return target
    except BackupError:
        pass
    folder = backups / f"before-restore-{stamp}"
    folder.mkdir(mode=0o700)
    try:
        _online_copy(database, folder / DATABASE_FILE, None)
    except sqlite3.Error:
        for suffix in ("", "-wal"):
            if Path(f"{database}{suffix}").exists():
                shutil.copy2(f"{database}{suffix}", folder / f"{DATABASE_FILE}{suffix}")
    for name in (KEY_FILE, CONFIG_FILE):
        if (home / name).exists():
            shutil.copy2(home / name, folder / name)
    return folder


def restore_backup(home: Path, source: Path, passphrase: str, *, force: bool = False,
                   keystore_prompt: Callable[[], str] | None = None,
                   progress: StageProgress | None = None) -> RestoreReport:
    """Restore a backup into `home`: verify it, keep what it replaces, put the keys and the database in
    place, and open the store (which runs the migrations when the backup is older)."""
    config, database = _sqlite_store(home)
    replacing = database.exists()
    _check_restorable(home, database, replacing, force)
    private_folder(home)
    work = Path(tempfile.mkdtemp(prefix=".restore-", dir=home))
    try:
        restored = work / DATABASE_FILE
        opened, inspection, secrets = _verify_file(source, passphrase, restored, progress)
        if inspection.schema is not None and inspection.schema not in migrate.known_revisions():
            raise _error("restore.newer_schema",
                         f"这份备份来自更新版本的 dengji（数据结构 {inspection.schema}），请先升级本程序再恢复",
                         f"this backup comes from a newer dengji (schema {inspection.schema}): update this "
                         "program, then restore")
        backend = _keys_backend(config)
        key_passphrase = _stage_key_file(work, secrets, keystore_prompt) if backend == "file" else None
        # Verified; from here on the home changes.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        safety = _safety_copy(home, database, passphrase, keystore_prompt, stamp) if replacing else None
        _put_keys_in_place(home, work, backend, secrets, stamp)
        _put_database_in_place(home, database, restored)
        if not (home / CONFIG_FILE).exists():
            kept = opened.manifest.get("config") or {}
            save_config(home, Config(lang=str(kept.get("lang") or ""), platform_url=str(kept.get("platform_url") or "")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    schema_to = _open_and_migrate(home, (lambda: key_passphrase) if key_passphrase else keystore_prompt)
    notes = []
    if inspection.waiting:
        notes.append(Problem(
            "restore.resend",
            f"备份时有 {inspection.waiting} 条记录尚未上报，现在会上报；其中平台已经收到的按编号去重，不会重复记录",
            f"{inspection.waiting} events were waiting when the backup was made and will be sent now; any the "
            "platform has received since are deduplicated by their event id, never recorded twice"))
    return RestoreReport(str(opened.header.get("created_at", "")), inspection.schema, schema_to, inspection, safety,
                         notes)


def _check_restorable(home: Path, database: Path, replacing: bool, force: bool) -> None:
    """Refuse to replace a store without --force, or one the uploader or the TUI is using."""
    if replacing and not force:
        raise _error("restore.store_exists",
                     f"{home} 中已经有登记库，恢复会替换它。确认要替换请加 --force（原有的会先备份到 backups/）",
                     f"{home} already has a store and a restore would replace it: add --force to replace it "
                     "(the current one is kept in backups/ first)")
    if replacing and (holder := _sender_running(database)):
        raise _error("restore.in_use", f"登记库正在使用中（{holder}）：请先停止上传服务和终端界面",
                     f"the store is in use ({holder}): stop the uploader service and the TUI first")


def _stage_key_file(work: Path, secrets: dict[str, bytes], keystore_prompt: Callable[[], str] | None) -> str:
    """Write the backup's secrets into a new key file beside the restored database (not yet in place);
    return the passphrase that opens it: this machine's, from the environment or the prompt."""
    key_passphrase = passphrase_from_environment() or (keystore_prompt() if keystore_prompt else None)
    if not key_passphrase:
        raise _error("restore.no_key_passphrase",
                     f"本机没有系统密钥环：请设置 {PASSPHRASE_ENV}（本机密钥文件的口令）后再恢复",
                     f"no OS keyring on this machine: set {PASSPHRASE_ENV} (the passphrase of this "
                     "machine's key file) and restore again")
    staged = PassphraseFile(work / KEY_FILE, key_passphrase)
    for name, value in secrets.items():
        staged.set(name, value)
    return key_passphrase


def _put_keys_in_place(home: Path, work: Path, backend: str, secrets: dict[str, bytes], stamp: str) -> None:
    """The restored secrets take the key store's place; an old key file is kept in backups/, never deleted."""
    old_keys = home / KEY_FILE
    if old_keys.exists():
        private_folder(home / "backups")
        old_keys.rename(home / "backups" / f"{KEY_FILE}.before-restore-{stamp}")
    if backend == "file":
        os.replace(work / KEY_FILE, old_keys)
    else:
        keyring: Keystore = SystemKeyring(home)
        for name, value in secrets.items():
            keyring.set(name, value)


def _put_database_in_place(home: Path, database: Path, restored: Path) -> None:
    """Replace the database file by the restored one, durably (fsync the file, then the folder)."""
    for suffix in ("-wal", "-shm", "-journal"):  # an old WAL applied to the restored file would corrupt it
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    with open(restored, "rb") as f:
        os.fsync(f.fileno())
    os.replace(restored, database)
    _fsync_dir(home)


def _open_and_migrate(home: Path, prompt: Callable[[], str] | None) -> str | None:
    """Open the restored store (the migrations run) and return its schema revision now."""
    from agent.domain.errors import StoreError
    from agent.store.opening import open_store

    try:
        store = open_store(home, prompt=prompt)
    except (StoreError, KeystoreError) as exc:
        raise _from(exc, "restore.open") from None
    try:
        with store.engine.connect() as conn:
            return migrate.current_revision(conn)
    finally:
        store.dispose()


def default_name(now: datetime | None = None) -> str:
    """`dengji-20261125-0930.dengji-backup`: sorts by date, says what it is."""
    moment = (now or datetime.now(UTC)).astimezone()
    return f"dengji-{moment:%Y%m%d-%H%M%S}{SUFFIX}"


def describe(inspection: Inspection) -> dict[str, Any]:
    """The figures a person checks after a backup or restore (no personal data: counts only)."""
    counts = inspection.counts
    return {"registrations": counts.get("registration", 0), "people": counts.get("person", 0),
            "events": counts.get("event", 0), "waiting": inspection.waiting, "schema": inspection.schema}

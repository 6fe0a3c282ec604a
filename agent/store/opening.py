"""Opening a home's store: find the master key, connect, bring the schema up to date.

The master key is made once, when the store is first created, and the database keeps a check value
sealed with it. A store whose key is missing or different is refused with a message that says so;
a new key is never minted over existing encrypted data (that would make every record unreadable).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, NoSuchModuleError, OperationalError
from sqlmodel import Session, select

from agent.config import Config, load_config
from agent.keystore import KeystoreError, open_keystore
from agent.store import migrate
from agent.store.database import DiskFull, Store, StoreError, is_disk_full, make_engine, sqlite_path
from agent.store.models import Meta
from agent.store.vault import MASTER_KEY_NAME, Vault, VaultError, new_master_key

VAULT_CHECK_KEY = "vault_check"  # the `meta` row holding a text sealed with the master key
_CHECK = VAULT_CHECK_KEY
_CHECK_TEXT = "dengji vault check"


def key_matches(vault: Vault, sealed_check: bytes) -> bool:
    """True when the store's check value opens with this vault's key (the key belongs to the data)."""
    try:
        return vault.open(sealed_check, "meta.vault_check") == _CHECK_TEXT
    except VaultError:
        return False


def open_store(
    home: Path,
    config: Config | None = None,
    *,
    create: bool = False,
    prompt: Callable[[], str] | None = None,
) -> Store:
    """Open (or with `create`, make) the store of `home`.

    Raises StoreError with a bilingual message when the store does not exist and `create` is false, or
    when the key is missing or does not match the database.
    """
    config = config or load_config(home)
    url = config.database_url_for(home)
    is_sqlite = url.startswith("sqlite")
    if is_sqlite and not create and not (home / "dengji.sqlite3").exists() and not config.database_url:
        raise StoreError(
            f"这里还没有登记库: {home}。请先运行 dengji init (no store in {home} yet: run `dengji init` first)"
        )
    home.mkdir(parents=True, exist_ok=True)
    try:
        keystore, _backend = open_keystore(home, config.keystore, prompt)
    except KeystoreError as exc:
        raise StoreError(str(exc)) from None
    try:
        engine = make_engine(url)
    except (NoSuchModuleError, ImportError) as exc:  # no driver for this kind of database
        raise StoreError(_cannot_open(url, exc)) from None
    try:
        migrate.upgrade(engine, backup_dir=home / "backups" if is_sqlite else None)
        with Session(engine) as session:
            check = session.exec(select(Meta).where(Meta.key == _CHECK)).first()
    except DatabaseError as exc:
        engine.dispose()
        raise _unusable(exc, url, sqlite_path(engine)) from None
    except ImportError as exc:  # a driver is imported at the first connection
        engine.dispose()
        raise StoreError(_cannot_open(url, exc)) from None
    try:
        master_key = keystore.get(MASTER_KEY_NAME)
    except KeystoreError as exc:
        raise StoreError(str(exc)) from None
    if master_key is None:
        if check is not None:
            engine.dispose()
            raise StoreError(
                "找不到这个登记库的密钥，数据无法解密。请恢复密钥环或密钥文件 (the key of this store is missing, "
                "so its data cannot be decrypted: restore the OS keyring entry or keys.enc from a backup)"
            )
        master_key = new_master_key()
        keystore.set(MASTER_KEY_NAME, master_key)
    vault = Vault(master_key)
    store = Store(engine, vault, keystore)
    if check is None:
        sealed = vault.seal(_CHECK_TEXT, "meta.vault_check")
        assert sealed is not None
        store.write(lambda s: s.add(Meta(key=_CHECK, value=sealed)))
    elif not key_matches(vault, check.value):
        engine.dispose()
        raise StoreError(
            "密钥与登记库不匹配 (the key does not match this store: wrong keyring entry or key file)"
        )
    return store


def _cannot_open(url: str, exc: Exception) -> str:
    """Why the database cannot be opened, in one line: the server is down, the driver is missing, ..."""
    where = make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"无法打开数据库 {where}: {reason} (cannot open the database {where}: {reason})"


def _unusable(exc: DatabaseError, url: str, path: str | None) -> StoreError:
    """A database that cannot be opened, said plainly: a full disk, a damaged or foreign SQLite file, a
    database server that is down or refuses us."""
    if path is None:
        return StoreError(_cannot_open(url, exc))
    if isinstance(exc, OperationalError) and is_disk_full(exc, path):
        return DiskFull()
    reason = str(exc.orig)  # SQLite's own words ("file is not a database"); parameters are hidden
    return StoreError(
        f"登记库无法打开: {path} ({reason})。请运行 dengji doctor 检查，必要时用 dengji restore 从备份恢复 "
        f"(the store cannot be opened: {reason}; run `dengji doctor`, and restore a backup if it is damaged)"
    )

"""The database engine and its transactions, shared by the TUI, the CLI and the daemon.

SQLite (the default) runs in WAL mode so that readers never block the writer, with `synchronous=FULL`
so that a committed registration survives a power cut (registration volume is low: a few fsyncs per
record are cheap next to losing one), a busy timeout so that two processes take turns, and foreign keys
on. Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes
can fail at once with "database is locked" whatever the timeout, because SQLite cannot upgrade its read
lock while another connection writes. The rare SQLITE_BUSY that WAL still returns is retried.
PostgreSQL (a `postgresql+psycopg://` URL) serves a site with several desks with the same code.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from agent.keystore import Keystore
from agent.store.vault import Vault

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
_WRITE = "dengji_write"


class StoreError(Exception):
    """The store cannot do what was asked; the message says why in Chinese and English."""


class DiskFull(StoreError):
    """The disk (or the database's size cap) is full: the write was rolled back, nothing was saved."""

    zh = "磁盘已满，本次操作没有保存。请清理磁盘空间后重试"
    en = "the disk is full: nothing was saved; free some space and try again"

    def __init__(self) -> None:
        super().__init__(f"{self.zh} ({self.en})")


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """An engine for `url` with the durability and locking settings above (the receiver uses it too)."""
    # hide_parameters: SQLAlchemy puts a failed statement's parameters into the exception's text, and
    # parameters are personal data (on the platform, in the clear): they must not reach a log.
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=pool_size, hide_parameters=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (SQLAlchemy's pysqlite recipe)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions begin with `BEGIN IMMEDIATE` on SQLite (writers queue)."""
    return engine.execution_options(**{_WRITE: True})


def is_busy(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)


# Below this much free space, an I/O error from SQLite is taken for a full disk.
_NEARLY_FULL_BYTES = 1 << 20


def is_disk_full(exc: OperationalError, database: str | None = None) -> bool:
    """True when `exc` means there is no room to write.

    SQLite says SQLITE_FULL ("database or disk is full") when its file cannot grow. But a process that
    opens the database on a full disk fails earlier, creating the WAL index, with a plain "disk I/O
    error" (SQLITE_IOERR_SHMSIZE, seen on a full tmpfs): for an I/O error, the free space of the
    database's filesystem decides.
    """
    message = str(exc.orig)
    if "disk is full" in message or "No space left" in message:
        return True
    name = getattr(exc.orig, "sqlite_errorname", "") or ""
    if database and (name.startswith("SQLITE_IOERR") or "disk I/O error" in message):
        try:
            return shutil.disk_usage(Path(database).parent).free < _NEARLY_FULL_BYTES
        except OSError:
            return False
    return False


def sqlite_path(engine: Engine) -> str | None:
    """The database file of a SQLite engine; None for PostgreSQL or an in-memory database."""
    if engine.url.get_backend_name() != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return engine.url.database


class Store:
    """The database engine, the vault that seals personal fields, and the keystore (for the device key)."""

    def __init__(self, engine: Engine, vault: Vault, keystore: Keystore | None = None) -> None:
        self.engine = engine
        self.vault = vault
        self.keystore = keystore
        self._writer = writer(engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; it sees one consistent snapshot."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def write(self, work: Callable[[Session], T], attempts: int = 5) -> T:
        """Run `work` in one write transaction and commit it; all of it happens or none of it does.

        `work` may be run again if SQLite reports the database busy after its timeout, so it must not
        have effects outside the session. A full disk becomes `DiskFull` (a `StoreError`) that says so.
        """
        for attempt in range(attempts):
            try:
                with Session(self._writer, expire_on_commit=False) as session:
                    result = work(session)
                    session.commit()
                    return result
            except OperationalError as exc:
                if is_disk_full(exc, sqlite_path(self.engine)):
                    raise DiskFull() from None
                if not is_busy(exc) or attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()

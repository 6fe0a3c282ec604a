"""The database engine and its transactions, shared by the TUI, the CLI and the daemon.

SQLite (the default) runs in WAL mode so that readers never block the writer, with `synchronous=FULL`
so that a committed registration survives a power cut (registration volume is low: a few fsyncs per
record are cheap next to losing one), a busy timeout so that two processes take turns, and foreign keys
on. Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes
can fail at once with "database is locked" whatever the timeout, because SQLite cannot upgrade its read
lock while another connection writes. The rare SQLITE_BUSY that WAL still returns is retried.

PostgreSQL (a `postgresql://` URL, run through psycopg 3) serves a site with several desks with the same
code. It has no database-wide write lock, so where SQLite's `BEGIN IMMEDIATE` made a check-then-insert
safe by itself, a PostgreSQL transaction takes a named advisory lock first (`lock`): a no-op on SQLite,
which already holds its write lock. Its serialization failures and deadlocks are retried like
SQLITE_BUSY: the transaction was rolled back whole, so running it again is safe.

Every write transaction first learns the store's at-rest suite (the `meta` row `at_rest_suite`, which
`agent.duties.at_rest` switches) and seals with it: a desk that was running when another switched the
suite seals its next write with the new one, without a restart (`Store.write`).
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from agent.domain.errors import DiskFull, StoreError
from agent.secrets.keystore import Keystore
from agent.store.models import AT_REST_META_KEY
from agent.store.vault import AES, SUITES, Vault

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
_WRITE = "dengji_write"


# SQLSTATEs after which PostgreSQL has rolled the whole transaction back and running it again is the cure:
# serialization_failure, deadlock_detected, lock_not_available.
_PG_RETRY = {"40001", "40P01", "55P03"}
_PG_DISK_FULL = "53100"


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a configured one: `postgresql://` (and `postgres://`) run on psycopg 3.

    Operators write the URL their PostgreSQL documentation shows; SQLAlchemy's default driver for it
    would be psycopg2, which dengji does not ship.
    """
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_postgres(url: str) -> bool:
    return engine_url(url).startswith("postgresql")


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """An engine for `url` with the durability and locking settings above (the receiver uses it too)."""
    # hide_parameters: SQLAlchemy puts a failed statement's parameters into the exception's text, and
    # parameters are personal data (on the platform, in the clear): they must not reach a log.
    url = engine_url(url)
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


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


# Below this much free space, an I/O error from SQLite is taken for a full disk.
_NEARLY_FULL_BYTES = 1 << 20


def is_busy(exc: DBAPIError) -> bool:
    """SQLite busy after its timeout, or a PostgreSQL transaction rolled back to be run again."""
    return ("database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)
            or _sqlstate(exc) in _PG_RETRY)


def is_disk_full(exc: DBAPIError, database: str | None = None) -> bool:
    """True when `exc` means there is no room to write.

    SQLite says SQLITE_FULL ("database or disk is full") when its file cannot grow, PostgreSQL
    disk_full (53100). But a process that opens a SQLite database on a full disk fails earlier, creating
    the WAL index, with a plain "disk I/O error" (SQLITE_IOERR_SHMSIZE, seen on a full tmpfs): for an
    I/O error, the free space of the database's filesystem decides.
    """
    message = str(exc.orig)
    if "disk is full" in message or "No space left" in message or _sqlstate(exc) == _PG_DISK_FULL:
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


def lock(session: Session | Connection, *names: str) -> None:
    """Hold named locks until the transaction ends, so that a check and the write it allows are one step.

    On PostgreSQL: transaction-level advisory locks, taken in sorted order (two transactions wanting
    the same names never wait for each other crosswise), each keyed by a 64-bit hash of the name within
    the current schema (two venues in two schemas of one database never wait for each other). On SQLite:
    nothing to do, the transaction already holds the database's write lock (`BEGIN IMMEDIATE`).
    Names must not carry personal data in the clear (use a blind index); they are hashed, but still.
    """
    connection = session.connection() if isinstance(session, Session) else session
    if connection.dialect.name != "postgresql" or not names:
        return
    ordered = sorted(set(names))
    # One statement, one round trip: PostgreSQL evaluates the select list left to right. Were it ever not
    # to, two desks could deadlock, which PostgreSQL detects and `Store.write` retries.
    locks = ", ".join(f"pg_advisory_xact_lock(hashtextextended(current_schema() || '/' || :n{i}, 0))"
                      for i in range(len(ordered)))
    connection.execute(text(f"SELECT {locks}"), {f"n{i}": name for i, name in enumerate(ordered)})


def database_now(session: Session) -> datetime:
    """Now, by the clock every desk agrees on: the PostgreSQL server's on a site with several desks (two
    desk PCs' clocks can disagree by more than a lease lasts), this machine's on SQLite (one machine)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return datetime.now(UTC)
    return connection.execute(text("SELECT clock_timestamp()")).scalar_one()


# The store's suite, one indexed single-row read (`meta` is keyed by `key`).
_SUITE_QUERY = text("SELECT value FROM meta WHERE key = :key").bindparams(key=AT_REST_META_KEY)


def stored_suite(session: Session | Connection) -> str:
    """The suite the store's fields are sealed with (`agent.duties.at_rest`), read in this transaction:
    `aes` unless set. A suite this dengji does not know is refused (the store comes from a newer one)."""
    connection = session.connection() if isinstance(session, Session) else session
    value = connection.execute(_SUITE_QUERY).scalar_one_or_none()
    suite = bytes(value).decode("ascii", "replace") if value is not None else AES
    if suite not in SUITES:
        raise StoreError(f"登记库的加密算法 {suite} 未知：这个登记库来自更新的 dengji",
                         f"the store's encryption suite {suite} is unknown: this store comes from a newer dengji",
                         code="store.ciphertext_version")
    return suite


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

        `work` may be run again if SQLite reports the database busy after its timeout, or PostgreSQL
        rolled the transaction back (serialization failure, deadlock), so it must not have effects
        outside the session. A full disk becomes `DiskFull` (a `StoreError`) that says so.
        """
        for attempt in range(attempts):
            try:
                with Session(self._writer, expire_on_commit=False) as session:
                    self._learn_suite(session)
                    result = work(session)
                    session.commit()
                    return result
            except DBAPIError as exc:  # OperationalError (SQLITE_BUSY, disk full) and the PostgreSQL ones
                if is_disk_full(exc, sqlite_path(self.engine)):
                    raise DiskFull() from None
                if not is_busy(exc) or attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
        raise AssertionError("unreachable")

    def _learn_suite(self, session: Session) -> None:
        """Seal this transaction's writes, and later ones, with the suite the store has now.

        Another desk may have switched the suite (`agent.duties.at_rest`) since this one opened the store;
        its vault would otherwise go on sealing and indexing with the old one. The `meta` row is read in
        this transaction, before `work` seals anything, and it cannot change before this transaction
        ends. On SQLite the transaction holds the database's write lock (`BEGIN IMMEDIATE`), and the switch
        is a write transaction too. On PostgreSQL `meta` is locked first in ROW EXCLUSIVE mode, the mode
        every write of a table takes, which writers share, while the switch locks `meta` first of all in
        SHARE ROW EXCLUSIVE mode, which conflicts with it: a write that got here before the switch ends
        before the switch goes on (which then re-seals what it wrote), and one after waits for the switch
        to commit and reads the new suite (its SELECT is a new statement, so sees what committed).
        A row lock (`SELECT ... FOR SHARE`) would not do: a store that never switched has no row to lock,
        and a writer holding the row that then writes a person would wait for the switch's table lock
        while the switch waits for the row (a deadlock). Cost: one indexed single-row SELECT per write
        transaction (and a LOCK statement on PostgreSQL); nothing when the suite is unchanged.
        """
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("LOCK TABLE meta IN ROW EXCLUSIVE MODE"))
        suite = stored_suite(connection)
        if suite != self.vault.suite:
            self.vault = self.vault.with_suite(suite)

    def suite(self) -> str:
        """The store's suite now (read from the store: another desk may have switched it)."""
        with self.read() as session:
            return stored_suite(session)

    def dispose(self) -> None:
        self.engine.dispose()

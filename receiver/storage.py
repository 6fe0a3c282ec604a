"""The platform's own database: devices, enrollment codes, keys, events, registrations, answers, permits.

SQLModel declares the tables (in a registry of their own, apart from the agent's store); the write path
uses SQLAlchemy Core with executemany, because a batch of 500 events must be recorded in one
transaction in a few milliseconds, without building an ORM object per event. SQLite is the default
(with the agent's engine settings, `agent.store.database.make_engine`: WAL, `synchronous=FULL` so that
"accepted" survives a power cut, a busy timeout, `BEGIN IMMEDIATE`
for every write); a `postgresql://` URL runs the same code on PostgreSQL (psycopg 3).

Times are stored as ISO 8601 text in UTC (`2025-03-01T06:00:00.000000+00:00`): it sorts, it compares
the same on both databases, and it round-trips without a time-zone library.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, LargeBinary, Text, and_, bindparam, delete, event, func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import registry
from sqlmodel import Column, Field, SQLModel

from agent.store.database import engine_url, make_engine, writer

DB_ENV = "DENGJI_RECEIVER_DB"


class ReceiverModel(SQLModel, registry=registry()):
    """Base of the receiver's tables: their own metadata, so the agent's tables never mix in."""


class Device(ReceiverModel, table=True):
    device_id: str = Field(primary_key=True, max_length=40)
    venue_kind: str = Field(max_length=20)
    venue_name: str
    venue: str = Field(sa_column=Column(Text, nullable=False))  # the venue's details, JSON
    public_key: str = Field(max_length=64)  # Ed25519, base64
    sm2_public_key: str | None = Field(default=None, max_length=100)  # 04 || X || Y, base64 (national suite)
    enrolled_at: str = Field(max_length=40)
    revoked_at: str | None = Field(default=None, max_length=40)


class EnrollmentCode(ReceiverModel, table=True):
    __tablename__ = "enrollment_code"
    code_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the code: the code is a secret
    venue_name: str
    venue_kind: str | None = Field(default=None, max_length=20)
    issued_at: str = Field(max_length=40)
    expires_at: str = Field(max_length=40)
    used_at: str | None = Field(default=None, max_length=40)
    device_id: str | None = Field(default=None, max_length=40)


class PlatformKeyRow(ReceiverModel, table=True):
    __tablename__ = "platform_key"
    key_id: str = Field(primary_key=True, max_length=40)
    x25519_private: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    xwing_seed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sm2_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # d || 04 || X || Y
    created_at: str = Field(max_length=40)
    retired_at: str | None = Field(default=None, max_length=40)  # when a newer key replaced it
    announcement: str = Field(sa_column=Column(Text, nullable=False))  # signed by the receipt key, JSON


class ReceiptKeyRow(ReceiverModel, table=True):
    __tablename__ = "receipt_key"
    key_id: str = Field(primary_key=True, max_length=40)
    private: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sm2_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # the SM2 half
    created_at: str = Field(max_length=40)


class ReceiptKeyEndorsement(ReceiverModel, table=True):
    """A receipt key's successor, named in a statement signed by the key it replaces: what an agent that
    pins an older receipt key follows (`protocol.receipts.follow_receipt_keys`)."""

    __tablename__ = "receipt_key_endorsement"
    key_id: str = Field(primary_key=True, max_length=40)  # the new key
    statement: str = Field(sa_column=Column(Text, nullable=False))  # signed by the key it replaces, JSON
    sm2_statement: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # the same, sm2-sm3
    created_at: str = Field(max_length=40)


class EventRow(ReceiverModel, table=True):
    __tablename__ = "event"
    event_id: str = Field(primary_key=True, max_length=36)
    device_id: str = Field(index=True, max_length=40)
    batch_id: str = Field(max_length=64)
    type: str = Field(max_length=24)
    occurred_at: str = Field(max_length=40)
    registration_id: str | None = Field(default=None, max_length=64)
    data: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    received_at: str = Field(index=True, max_length=40)


class RegistrationRow(ReceiverModel, table=True):
    """Where each registration stands, so that a departure can be checked against its arrival."""

    __tablename__ = "registration"
    device_id: str = Field(primary_key=True, max_length=40)
    registration_id: str = Field(primary_key=True, max_length=64)
    arrived_at: str | None = Field(default=None, max_length=40)
    departed_at: str | None = Field(default=None, max_length=40)
    cancelled: bool = False
    last_event_id: str = Field(max_length=36)


class VisitRow(ReceiverModel, table=True):
    """Where each visit stands (访客): whom it is to, when the visitor came and left, so that a visit's end
    can be checked against its start."""

    __tablename__ = "visit"
    device_id: str = Field(primary_key=True, max_length=40)
    visit_id: str = Field(primary_key=True, max_length=64)
    registration_id: str = Field(max_length=64)  # the host's
    arrived_at: str = Field(max_length=40)
    left_at: str | None = Field(default=None, max_length=40)
    last_event_id: str = Field(max_length=36)


class BatchAnswerRow(ReceiverModel, table=True):
    """The signed answer given to a batch, replayed verbatim when the same batch comes again."""

    __tablename__ = "batch_answer"
    device_id: str = Field(primary_key=True, max_length=40)
    batch_id: str = Field(primary_key=True, max_length=64)
    plaintext_digest: str = Field(max_length=64)
    answer: str = Field(sa_column=Column(Text, nullable=False))
    received_at: str = Field(index=True, max_length=40)


class Permit(ReceiverModel, table=True):
    """A residence permit (居住证) as the platform's permit register holds it."""

    permit_number: str = Field(primary_key=True, max_length=64)
    document_number: str = Field(max_length=64)
    valid_from: str = Field(max_length=10)
    valid_until: str = Field(max_length=10)
    status: str = Field(max_length=12)  # valid | revoked


class FiledUnit(ReceiverModel, table=True):
    """A unit (room, flat) the venue filed with the police station (房屋租赁登记备案).

    When a device's venue has filed units, a registration for any other unit is rejected: the platform
    knows the filing, the venue's agent does not, so this is a refusal only the platform can make.
    """

    __tablename__ = "filed_unit"
    device_id: str = Field(primary_key=True, max_length=40)
    label: str = Field(primary_key=True, max_length=32)


class RequestNonce(ReceiverModel, table=True):
    """A signature the platform has accepted, by (key id, nonce): a second use is a replay. Kept while its
    `created` is inside the date window, in the database so that every receiver on it sees it."""

    __tablename__ = "request_nonce"
    key_id: str = Field(primary_key=True, max_length=40)
    nonce: str = Field(primary_key=True, max_length=128)
    created: int = Field(index=True)  # Unix seconds, as signed


class RateBucket(ReceiverModel, table=True):
    """A token bucket (a device's requests, an address's enrollments), shared by every receiver."""

    __tablename__ = "rate_bucket"
    subject: str = Field(primary_key=True, max_length=80)
    tokens: float
    updated: float  # Unix seconds


devices = Device.__table__
codes = EnrollmentCode.__table__
platform_keys = PlatformKeyRow.__table__
receipt_keys = ReceiptKeyRow.__table__
endorsements = ReceiptKeyEndorsement.__table__
events = EventRow.__table__
registrations = RegistrationRow.__table__
visits = VisitRow.__table__
answers = BatchAnswerRow.__table__
permits = Permit.__table__
filed_units = FiledUnit.__table__
nonces = RequestNonce.__table__
buckets = RateBucket.__table__
BRIEF_TABLES = [nonces, buckets]  # what `Storage.write_brief` writes
# Columns added after a table was first made, which `create_all` does not add to an existing database:
# added on opening, nullable (a row from before has none).
ADDED_COLUMNS = [(devices, "sm2_public_key"), (platform_keys, "sm2_key"), (receipt_keys, "sm2_key"),
                 (endorsements, "sm2_statement")]


def _add_missing_columns(engine: Any) -> None:
    """`ALTER TABLE ... ADD COLUMN` for each of `ADDED_COLUMNS` that a database made earlier lacks."""
    with engine.begin() as conn:
        for table, name in ADDED_COLUMNS:
            present = {column["name"] for column in inspect(conn).get_columns(table.name)}
            if name not in present:
                kind = table.c[name].type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{name}" {kind}')


# Built once: every request looks its device up and every batch its answer and filed units, and
# building a statement cost more than running it (0.2-0.3 ms each, against 500 events in 8 ms).
_DEVICE = select(devices).where(devices.c.device_id == bindparam("device_id"))
_ANSWER = select(answers.c.plaintext_digest, answers.c.answer).where(
    and_(answers.c.device_id == bindparam("device_id"), answers.c.batch_id == bindparam("batch_id")))
_SAVE_ANSWER = answers.insert()
_FILED_UNITS = select(filed_units.c.label).where(filed_units.c.device_id == bindparam("device_id"))

EVENT_COLUMNS = ("event_id", "device_id", "batch_id", "type", "occurred_at", "registration_id", "data",
                 "received_at")
REGISTRATION_COLUMNS = ("device_id", "registration_id", "arrived_at", "departed_at", "cancelled", "last_event_id")
VISIT_COLUMNS = ("device_id", "visit_id", "registration_id", "arrived_at", "left_at", "last_event_id")


def iso(moment: datetime) -> str:
    """A time as stored: UTC, microseconds, always the same width."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def default_url() -> str:
    """`$DENGJI_RECEIVER_DB`, else a SQLite file in the user's data directory."""
    if os.environ.get(DB_ENV):
        return os.environ[DB_ENV]
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("dengji-receiver", appauthor=False))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "nt":
        os.chmod(folder, 0o700)  # our own folder: nobody else's business, whatever made it before
    return f"sqlite:///{folder / 'receiver.db'}"


def keep_private(database: Path) -> None:
    """The database file (and its WAL and shared-memory files) readable by this user only, 0600; a
    missing folder is made 0700. It holds the platform's private keys and personal data. SQLite gives
    the files it adds the database file's mode, so the file is made before SQLite opens it."""
    if os.name == "nt":
        return  # a user's profile folder is private by default there; modes do not apply
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(database, os.O_CREAT | os.O_RDWR, 0o600))
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path.exists():
            os.chmod(path, 0o600)


def normalise_url(url: str) -> str:
    """A plain file path becomes a SQLite URL; `postgresql://` gets the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return engine_url(url)


def _overwrite_freed_space(dbapi_conn: Any, _record: Any) -> None:
    """SQLite overwrites what a statement frees with zeros, instead of leaving it in the file's free space:
    an erased private key, and every older copy of its row, must not stay readable in a stolen file."""
    dbapi_conn.execute("PRAGMA secure_delete = ON")


def _commit_without_flush(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a commit is durable at the next checkpoint


class Storage:
    """The receiver's database: one engine, short transactions, Core statements."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        database = make_url(self.url).database
        on_file = self.url.startswith("sqlite") and bool(database) and database != ":memory:"
        if on_file:
            keep_private(Path(database))  # type: ignore[arg-type]
        self.engine = make_engine(self.url, pool_size=8)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = writer(self.engine)
        self._brief = self._key_writer = self._writer
        tables = list(ReceiverModel.metadata.sorted_tables)
        if self.is_sqlite:  # pools of their own: `write_brief`, `_write_keys`
            keys = make_engine(self.url, pool_size=1)
            event.listen(keys, "connect", _overwrite_freed_space)
            self._key_writer = writer(keys)
            brief_url = self.url
            if on_file:  # the replay memory and rate buckets in a file of their own: see `write_brief`
                requests = Path(f"{database}-requests")
                keep_private(requests)
                brief_url = f"sqlite:///{requests}"
                tables = [table for table in tables if table not in BRIEF_TABLES]
            brief = make_engine(brief_url, pool_size=1)
            event.listen(brief, "connect", _commit_without_flush)
            self._brief = writer(brief)
            ReceiverModel.metadata.create_all(brief, tables=BRIEF_TABLES)
        ReceiverModel.metadata.create_all(self.engine, tables=tables)
        _add_missing_columns(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._writer.begin() as conn:
            yield conn

    @contextmanager
    def write_brief(self) -> Iterator[Connection]:
        """A write transaction for what the platform remembers for minutes only (`BRIEF_TABLES`: the
        signatures seen, the rate buckets), one a request, committed without waiting for the disk. A
        power cut may forget the last moments of it, which lets a replay of those moments through once
        (a batch replayed gets its stored answer: nothing is recorded twice).

        On SQLite these tables are in a file of their own beside the database (`<database>-requests`,
        shared by every receiver on that database like the database itself): SQLite has one write lock
        a file, and in the database's file each request waited 4 ms on average for the batch writers
        (measured); with an fsync a commit it held that lock 5 ms itself."""
        with self._brief.begin() as conn:
            if not self.is_sqlite:
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write_keys(self) -> Iterator[Connection]:
        """A write transaction on the key tables. On SQLite its connections overwrite what they free with
        zeros: every older copy of a key's row (a rotation rewrites it) is gone from the file once the
        row is erased. Only the key tables are written so: on the batch write path it cost 25%."""
        with self._key_writer.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()
        for other in {self._brief, self._key_writer} - {self._writer}:
            other.engine.dispose()

    def _insert(self, table: Any) -> Any:
        return (sqlite.insert(table) if self.is_sqlite else postgresql.insert(table))

    # --- devices and enrollment ---------------------------------------------------------------------

    def add_code(self, code_hash: str, venue_name: str, venue_kind: str | None, issued_at: str,
                 expires_at: str) -> None:
        with self.write() as conn:
            conn.execute(codes.insert().values(code_hash=code_hash, venue_name=venue_name, venue_kind=venue_kind,
                                               issued_at=issued_at, expires_at=expires_at))

    def code(self, conn: Connection, code_hash: str) -> Any:
        return conn.execute(select(codes).where(codes.c.code_hash == code_hash)).first()

    def use_code(self, conn: Connection, code_hash: str, device_id: str, used_at: str) -> bool:
        """Mark the code used; False if someone used it first (single use holds under concurrency)."""
        result = conn.execute(update(codes).where(and_(codes.c.code_hash == code_hash, codes.c.used_at.is_(None)))
                              .values(used_at=used_at, device_id=device_id))
        return result.rowcount == 1

    def add_device(self, conn: Connection, **values: Any) -> None:
        conn.execute(devices.insert().values(**values))

    def device(self, device_id: str) -> Any:
        with self.read() as conn:
            return conn.execute(_DEVICE, {"device_id": device_id}).first()

    def revoke(self, device_id: str, when: str) -> bool:
        with self.write() as conn:
            result = conn.execute(update(devices).where(and_(devices.c.device_id == device_id,
                                                             devices.c.revoked_at.is_(None)))
                                  .values(revoked_at=when))
            return result.rowcount == 1

    # --- keys ---------------------------------------------------------------------------------------

    def receipt_key(self) -> Any:
        """The current receipt key: the only one whose private half is kept (`add_receipt_key` erases the
        others in the transaction that adds a new one)."""
        with self.read() as conn:
            return conn.execute(select(receipt_keys).where(receipt_keys.c.private != b"")
                                .order_by(receipt_keys.c.created_at.desc())).first()

    def add_receipt_key(self, key_id: str, private: bytes, created_at: str, endorsement: str | None = None,
                        announcement: tuple[str, str] | None = None, sm2_key: bytes | None = None,
                        sm2_endorsement: str | None = None) -> None:
        """A new receipt key: the first, or the successor of the current one with the `endorsement` the
        latter signed - whose private halves are then erased - and the current platform key's
        `announcement` (key id, text) signed anew by the new key. One transaction."""
        with self._write_keys() as conn:
            conn.execute(update(receipt_keys).where(receipt_keys.c.private != b"").values(private=b"", sm2_key=None))
            conn.execute(receipt_keys.insert().values(key_id=key_id, private=private, sm2_key=sm2_key,
                                                      created_at=created_at))
            if endorsement is not None:
                conn.execute(endorsements.insert().values(key_id=key_id, statement=endorsement,
                                                          sm2_statement=sm2_endorsement, created_at=created_at))
            if announcement is not None:
                conn.execute(update(platform_keys).where(platform_keys.c.key_id == announcement[0])
                             .values(announcement=announcement[1]))
        if self.is_sqlite:
            self.checkpoint()

    def receipt_key_endorsements(self) -> list[str]:
        """The statements naming each receipt key's successor, oldest first."""
        with self.read() as conn:
            return list(conn.execute(select(endorsements.c.statement).order_by(endorsements.c.created_at)).scalars())

    def receipt_key_sm2_endorsements(self) -> list[str]:
        """The same statements signed by the SM2 halves (for the national suite), where there are some."""
        with self.read() as conn:
            return list(conn.execute(select(endorsements.c.sm2_statement).where(endorsements.c.sm2_statement.isnot(None))
                                     .order_by(endorsements.c.created_at)).scalars())

    def key_state(self) -> tuple[Any, ...]:
        """What a receiver's keys in memory depend on: (current platform key id and announcement, current
        receipt key id). Another process changed the keys when it changes."""
        with self.read() as conn:
            current = conn.execute(select(platform_keys.c.key_id, platform_keys.c.announcement)
                                   .where(platform_keys.c.retired_at.is_(None))).first()
            receipt = conn.execute(select(receipt_keys.c.key_id).where(receipt_keys.c.private != b"")).scalar()
        return (tuple(current) if current else None, receipt)

    def add_sm2_halves(self, receipt_key_id: str, receipt_sm2: bytes, platform_key_id: str, platform_sm2: bytes,
                       announcement: str) -> None:
        """Give keys made before the national suite their SM2 halves (the current receipt key and the
        current platform key, whose announcement then lists the suite). One transaction."""
        with self._write_keys() as conn:
            conn.execute(update(receipt_keys).where(and_(receipt_keys.c.key_id == receipt_key_id,
                                                         receipt_keys.c.sm2_key.is_(None))).values(sm2_key=receipt_sm2))
            conn.execute(update(platform_keys).where(and_(platform_keys.c.key_id == platform_key_id,
                                                          platform_keys.c.sm2_key.is_(None)))
                         .values(sm2_key=platform_sm2, announcement=announcement))

    def set_announcement(self, key_id: str, announcement: str) -> None:
        with self._write_keys() as conn:
            conn.execute(update(platform_keys).where(platform_keys.c.key_id == key_id)
                         .values(announcement=announcement))

    def erase_private_keys(self, retired_before: str) -> int:
        """Erase the private halves of platform keys retired before `retired_before`: what a stolen copy of
        the database no longer gives away. On SQLite the
        old bytes are overwritten in place (`_write_keys`) and the write-ahead log is emptied; on
        PostgreSQL the rows are rewritten, and old row versions stay on disk until vacuumed and reused.
        The number of keys erased."""
        with self._write_keys() as conn:
            erased = conn.execute(update(platform_keys).where(and_(platform_keys.c.retired_at < retired_before,
                                                                   platform_keys.c.xwing_seed != b""))
                                  .values(x25519_private=b"", xwing_seed=b"", sm2_key=None)).rowcount
            # Receipt keys: `add_receipt_key` erases the old private half when it adds the new one.
        if erased and self.is_sqlite:
            self.checkpoint()
        return erased

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file and empty it (erased bytes with it)."""
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()

    def platform_keys(self) -> list[Any]:
        """All platform keys, newest first."""
        with self.read() as conn:
            return list(conn.execute(select(platform_keys).order_by(platform_keys.c.created_at.desc())))

    def current_key_id(self) -> str | None:
        with self.read() as conn:
            return conn.execute(select(platform_keys.c.key_id).where(platform_keys.c.retired_at.is_(None))).scalar()

    def add_platform_key(self, key_id: str, x25519_private: bytes, xwing_seed: bytes, created_at: str,
                         announcement: str, sm2_key: bytes | None = None) -> None:
        """Publish a new key; the previous current key is retired now and kept for the overlap window."""
        with self._write_keys() as conn:
            conn.execute(update(platform_keys).where(platform_keys.c.retired_at.is_(None))
                         .values(retired_at=created_at))
            conn.execute(platform_keys.insert().values(key_id=key_id, x25519_private=x25519_private,
                                                       xwing_seed=xwing_seed, sm2_key=sm2_key, created_at=created_at,
                                                       announcement=announcement))

    # --- the batch write path ------------------------------------------------------------------------

    def answer(self, conn: Connection, device_id: str, batch_id: str) -> Any:
        return conn.execute(_ANSWER, {"device_id": device_id, "batch_id": batch_id}).first()

    # The write path below is plain SQL through the driver: the same ON CONFLICT statements run on both
    # databases, 500 rows go in one executemany (psycopg pipelines it), and no expanding IN list is
    # compiled per batch.

    def lock_device(self, conn: Connection, device_id: str) -> None:
        """Serialise batches of one device (SQLite's BEGIN IMMEDIATE already serialises everything):
        a retry that arrives while the first attempt is still being recorded waits, then replays."""
        if not self.is_sqlite:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (device_id,))

    def _any(self, ids: Sequence[str]) -> tuple[str, Any]:
        """A `column IN ...` tail and its one parameter, for any number of ids."""
        if self.is_sqlite:
            return "IN (SELECT value FROM json_each(?))", json.dumps(list(ids))
        return "= ANY(%s)", list(ids)

    def known_events(self, conn: Connection, event_ids: Sequence[str]) -> dict[str, str]:
        """event id -> device id, for the ids already recorded."""
        tail, ids = self._any(event_ids)
        return dict(conn.exec_driver_sql(f"SELECT event_id, device_id FROM event WHERE event_id {tail}",
                                         (ids,)).all())

    def registrations_of(self, conn: Connection, device_id: str, registration_ids: Sequence[str]) -> list[Any]:
        """(registration_id, arrived_at, departed_at, cancelled, last_event_id) of the ones held."""
        if not registration_ids:
            return []
        tail, ids = self._any(registration_ids)
        p = "?" if self.is_sqlite else "%s"
        return conn.exec_driver_sql(
            "SELECT registration_id, arrived_at, departed_at, cancelled, last_event_id FROM registration "
            f"WHERE device_id = {p} AND registration_id {tail}", (device_id, ids)).all()

    def insert_events(self, conn: Connection, rows: list[tuple[Any, ...]]) -> set[str]:
        """Insert events (tuples in `EVENT_COLUMNS` order), skipping ids already recorded; the ids inserted."""
        if not rows:
            return set()
        p = "?" if self.is_sqlite else "%s"
        result = conn.exec_driver_sql(f"INSERT INTO event ({', '.join(EVENT_COLUMNS)}) VALUES "
                                      f"({', '.join([p] * len(EVENT_COLUMNS))}) ON CONFLICT (event_id) DO NOTHING",
                                      rows)
        if result.rowcount == len(rows):
            return {row[0] for row in rows}
        # Another device's transaction recorded one of these ids first (or the driver gave no count): ask.
        tail, ids = self._any([row[0] for row in rows])
        return {row[0] for row in conn.exec_driver_sql(
            f"SELECT event_id FROM event WHERE device_id = {p} AND batch_id = {p} AND event_id {tail}",
            (rows[0][1], rows[0][2], ids))}

    def upsert_registrations(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert or update registrations (tuples in `REGISTRATION_COLUMNS` order)."""
        if not rows:
            return
        p = "?" if self.is_sqlite else "%s"
        update = ", ".join(f"{name} = excluded.{name}" for name in REGISTRATION_COLUMNS[2:])
        conn.exec_driver_sql(f"INSERT INTO registration ({', '.join(REGISTRATION_COLUMNS)}) VALUES "
                             f"({', '.join([p] * len(REGISTRATION_COLUMNS))}) "
                             f"ON CONFLICT (device_id, registration_id) DO UPDATE SET {update}", rows)

    def visits_of(self, conn: Connection, device_id: str, visit_ids: Sequence[str]) -> list[Any]:
        """(visit_id, registration_id, arrived_at, left_at, last_event_id) of the visits held."""
        if not visit_ids:
            return []
        tail, ids = self._any(visit_ids)
        p = "?" if self.is_sqlite else "%s"
        return conn.exec_driver_sql(
            "SELECT visit_id, registration_id, arrived_at, left_at, last_event_id FROM visit "
            f"WHERE device_id = {p} AND visit_id {tail}", (device_id, ids)).all()

    def upsert_visits(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert or update visits (tuples in `VISIT_COLUMNS` order)."""
        if not rows:
            return
        p = "?" if self.is_sqlite else "%s"
        update = ", ".join(f"{name} = excluded.{name}" for name in VISIT_COLUMNS[2:])
        conn.exec_driver_sql(f"INSERT INTO visit ({', '.join(VISIT_COLUMNS)}) VALUES "
                             f"({', '.join([p] * len(VISIT_COLUMNS))}) "
                             f"ON CONFLICT (device_id, visit_id) DO UPDATE SET {update}", rows)

    def events_of(self, conn: Connection, device_id: str, event_ids: Sequence[str]) -> list[Any]:
        """(event_id, type, registration_id, occurred_at, data) of the device's events among `event_ids`."""
        if not event_ids:
            return []
        tail, ids = self._any(event_ids)
        p = "?" if self.is_sqlite else "%s"
        return conn.exec_driver_sql(
            "SELECT event_id, type, registration_id, occurred_at, data FROM event "
            f"WHERE device_id = {p} AND event_id {tail}", (device_id, ids)).all()

    def save_answer(self, conn: Connection, **values: Any) -> None:
        conn.execute(_SAVE_ANSWER, values)

    def purge_answers(self, before: str) -> int:
        """Forget answers older than the idempotency window; events stay deduplicated by id forever."""
        with self.write() as conn:
            return conn.execute(delete(answers).where(answers.c.received_at < before)).rowcount

    # --- replays and rates, shared by every receiver on this database ------------------------------

    def use_nonce(self, conn: Connection, key_id: str, nonce: str, created: int) -> bool:
        """Remember a signature by (key id, nonce); False if it was already used (a replay)."""
        p = "?" if self.is_sqlite else "%s"
        result = conn.exec_driver_sql(f"INSERT INTO request_nonce (key_id, nonce, created) VALUES ({p}, {p}, {p}) "
                                      "ON CONFLICT (key_id, nonce) DO NOTHING", (key_id, nonce, created))
        return result.rowcount == 1

    def forget_nonces(self, before: int) -> int:
        """Forget signatures created before `before` (Unix seconds): the date window refuses them anyway."""
        with self.write_brief() as conn:
            return conn.execute(delete(nonces).where(nonces.c.created < before)).rowcount

    def forget_buckets(self, before: float) -> int:
        """Forget buckets untouched since `before` (Unix seconds): refilled by now, they are as good as new."""
        with self.write_brief() as conn:
            return conn.execute(delete(buckets).where(buckets.c.updated < before)).rowcount

    def count_nonces(self) -> int:
        with self._brief.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(nonces)).scalar_one())

    def take_token(self, conn: Connection, subject: str, now: float, rate: float, burst: int) -> float:
        """Take one token from `subject`'s bucket (`rate` a second, at most `burst`): 0.0 when taken, else
        the seconds until one is there. One statement refills and takes, so that receivers on one
        database count together (the row is locked until the transaction ends); a token taken into debt
        is given back at once (the rare path: two statements)."""
        p = "?" if self.is_sqlite else "%s"
        least, greatest = ("min", "max") if self.is_sqlite else ("LEAST", "GREATEST")
        refilled = f"{least}({p}, rate_bucket.tokens + {greatest}(0, {p} - rate_bucket.updated) * {p})"
        left = conn.exec_driver_sql(
            f"INSERT INTO rate_bucket (subject, tokens, updated) VALUES ({p}, {p}, {p}) ON CONFLICT (subject) DO "
            f"UPDATE SET tokens = {refilled} - 1, updated = {greatest}({p}, rate_bucket.updated) RETURNING tokens",
            (subject, float(burst) - 1.0, now, float(burst), now, rate, now)).scalar_one()
        if left >= 0.0:
            return 0.0
        conn.exec_driver_sql(f"UPDATE rate_bucket SET tokens = tokens + 1 WHERE subject = {p}", (subject,))
        return -left / rate

    # --- reading what the platform holds ------------------------------------------------------------

    def list_events(self, device_id: str | None = None, limit: int | None = None) -> list[Any]:
        query = select(events).order_by(events.c.received_at, events.c.event_id)
        if device_id is not None:
            query = query.where(events.c.device_id == device_id)
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            return list(conn.execute(query))

    def count_events(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

    # --- permits ------------------------------------------------------------------------------------

    def load_permits(self, rows: Iterable[dict[str, str]]) -> int:
        """Add or replace permits by number; the count written."""
        rows = list(rows)
        if not rows:
            return 0
        statement = self._insert(permits)
        statement = statement.on_conflict_do_update(
            index_elements=["permit_number"],
            set_={name: statement.excluded[name] for name in ("document_number", "valid_from", "valid_until",
                                                             "status")})
        with self.write() as conn:
            conn.execute(statement, rows)
        return len(rows)

    def permit(self, permit_number: str, document_number: str) -> Any:
        with self.read() as conn:
            return conn.execute(select(permits).where(and_(permits.c.permit_number == permit_number,
                                                           permits.c.document_number == document_number))).first()

    # --- filed units --------------------------------------------------------------------------------

    def file_units(self, device_id: str, labels: Iterable[str]) -> int:
        """Replace the device's filed units with `labels`; the count filed (an empty list lifts the rule)."""
        rows = [{"device_id": device_id, "label": label} for label in sorted(set(labels))]
        with self.write() as conn:
            conn.execute(delete(filed_units).where(filed_units.c.device_id == device_id))
            if rows:
                conn.execute(filed_units.insert(), rows)
        return len(rows)

    def filed_units_of(self, conn: Connection, device_id: str) -> frozenset[str]:
        """The units the device's venue filed; empty when it filed none (then any unit is accepted)."""
        return frozenset(conn.execute(_FILED_UNITS, {"device_id": device_id}).scalars())

    # --- who is present (issue 18: a minor's companions) -----------------------------------------------

    def present_people(self, conn: Connection, device_id: str) -> dict[str, tuple[str | None, str | None, str | None]]:
        """registration id -> (unit, document number, birth date) of the device's registrations that are
        neither departed nor cancelled, as their latest events carrying those facts state them (a unit
        change carries only the unit). Read only for a minor's registration that names companions."""
        p = "?" if self.is_sqlite else "%s"
        rows = conn.exec_driver_sql(
            "SELECT e.registration_id, e.data FROM event e JOIN registration r "
            "ON r.device_id = e.device_id AND r.registration_id = e.registration_id "
            f"WHERE e.device_id = {p} AND r.departed_at IS NULL AND NOT r.cancelled "
            "ORDER BY e.received_at, e.occurred_at", (device_id,)).all()
        found: dict[str, tuple[str | None, str | None, str | None]] = {}
        for registration_id, text in rows:
            found[registration_id] = merge_presence(found.get(registration_id), json.loads(text))
        return found


def _birth_date_in_id(number: str) -> str | None:
    """The birth date a valid 18-digit resident ID states (ISO), or None."""
    from agent.domain.errors import InvalidDocument
    from agent.validation.documents import document_facts

    try:
        facts = document_facts("resident_id", number)
    except (InvalidDocument, ValueError):
        return None
    return facts.birth_date.isoformat() if facts.birth_date else None


def merge_presence(before: tuple[str | None, str | None, str | None] | None,
                   data: Any) -> tuple[str | None, str | None, str | None]:
    """(unit, document number, birth date) after one more event's data (what it does not say stays)."""
    unit, number, born = before or (None, None, None)
    if isinstance(data, dict):
        if isinstance(data.get("unit"), str):
            unit = data["unit"]
        person = data.get("person")
        if isinstance(person, dict):
            if isinstance(person.get("doc_number"), str):
                number, born = person["doc_number"], None
            if isinstance(person.get("birth_date"), str):
                born = person["birth_date"]
            elif born is None and person.get("doc_type") == "resident_id" and isinstance(number, str):
                born = _birth_date_in_id(number)
    return unit, number, born

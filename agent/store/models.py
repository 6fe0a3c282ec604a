"""The tables of the venue's store.

Times are aware datetimes, stored as UTC (SQLModel's UTCDateTime); the registry shows them in China time.
Columns ending in `_sealed` hold AES-256-GCM (or, in the national suite, SM4-GCM) ciphertext made by
`agent.store.vault.Vault`; the clear text of a personal field is never written to the database.
`doc_masked` (`410102********1234`) is what lists show and what a search by the last digits matches.

Tenancies, stays and employments share one `registration` table with a `kind` column: they differ by
two optional columns (position, lodges_on_site), and one table gives one id space - the number a
landlord types to record a departure - and one query for "who is here now".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def _sealed(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(LargeBinary, nullable=nullable)


DEVICE_META_KEY = "device"  # the enrolled device's public identity (uploader.device)
DEVICE_KEY_META_KEY = "device_key"  # its Ed25519 signing key, sealed by the vault (uploader.device)
DEVICE_SM2_KEY_META_KEY = "device_sm2_key"  # its SM2 key (national suite), sealed by the vault (uploader.device)
AT_REST_META_KEY = "at_rest_suite"  # the vault's suite, `aes` when absent (agent.duties.at_rest)
SENDER_LEASE_NAME = "sender"  # the one lease that decides who sends (uploader.lease)


class Meta(SQLModel, table=True):
    """Small facts about this store: the vault key check, the enrolled device, the sender's last report."""

    key: str = Field(primary_key=True, max_length=64)
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Venue(SQLModel, table=True):
    """The place that reports: one per store."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    address: str | None = Field(default=None, max_length=200)
    police_station: str | None = Field(default=None, max_length=100)  # 派出所
    agreement_no: str | None = Field(default=None, max_length=64)  # 治安管理责任书编号
    rental_filing_no: str | None = Field(default=None, max_length=64)  # 房屋租赁登记备案证明
    credit_code: str | None = Field(default=None, max_length=18)  # 统一社会信用代码
    subtype: str | None = Field(default=None, max_length=16)  # an overnight venue: internet_cafe, bathhouse, club
    jurisdiction: str | None = Field(default=None, max_length=32)  # its policy file (templates/policies); None: national
    region: str | None = Field(default=None, max_length=6)  # GB/T 2260 code of the address's city, when read
    created_at: datetime


class Unit(SQLModel, table=True):
    """A room, flat, bed, seat or dormitory where a person stays."""

    __table_args__ = (UniqueConstraint("venue_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    venue_id: int = Field(foreign_key="venue.id")
    label: str = Field(max_length=32)


class Person(SQLModel, table=True):
    """A person as identified by one document (or, for a child without one, by the guardian)."""

    __table_args__ = (UniqueConstraint("doc_type", "doc_index"),)

    id: int | None = Field(default=None, primary_key=True)
    doc_type: str = Field(max_length=32)
    doc_index: str | None = Field(default=None, max_length=32)  # blind index of the document number
    doc_masked: str = Field(max_length=32)
    sex: str | None = Field(default=None, max_length=1)  # unknown for a guardian entered by name only
    ethnicity: str | None = Field(default=None, max_length=2)
    nationality: str | None = Field(default=None, max_length=3)
    guardian_id: int | None = Field(default=None, foreign_key="person.id")
    name_sealed: bytes = Field(sa_column=_sealed(nullable=False))
    doc_number_sealed: bytes | None = Field(default=None, sa_column=_sealed())
    birth_date_sealed: bytes | None = Field(default=None, sa_column=_sealed())
    address_sealed: bytes | None = Field(default=None, sa_column=_sealed())
    phone_sealed: bytes | None = Field(default=None, sa_column=_sealed())
    residence_permit_sealed: bytes | None = Field(default=None, sa_column=_sealed())
    created_at: datetime
    updated_at: datetime
    purged_at: datetime | None = None  # retention erased the personal fields (agent.duties.retention)


class Registration(SQLModel, table=True):
    """A tenancy, stay or employment: a person at a unit from arrival until departure."""

    __table_args__ = (
        # "Who is here now" is `departed_at IS NULL` among years of past stays; one venue per store, so
        # the venue id adds nothing in front of it (it made the index useless to that query).
        Index("ix_registration_present", "departed_at"),
        Index("ix_registration_person", "person_id", "departed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    venue_id: int = Field(foreign_key="venue.id")
    unit_id: int = Field(foreign_key="unit.id")
    person_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=16)
    arrived_at: datetime
    expected_departure: datetime | None = None
    departed_at: datetime | None = None
    cancelled_at: datetime | None = None
    position: str | None = Field(default=None, max_length=64)
    lodges_on_site: bool | None = None
    reason: str | None = Field(default=None, max_length=32)
    flags: str | None = Field(default=None, max_length=100)  # the validator's flags, space-separated (minor_unaccompanied)
    created_at: datetime
    updated_at: datetime
    purged_at: datetime | None = None  # retention erased its events' payloads (agent.duties.retention)


class Visit(SQLModel, table=True):
    """A visitor (访客) to a registered person: who came, to whom, when they came and left.

    The visitor is a `Person` like anyone registered (sealed fields, blind index); the visit's events
    name the host's registration, and their data the visit's id."""

    __table_args__ = (Index("ix_visit_in", "left_at"),)  # "who is still in" among years of visits

    id: int | None = Field(default=None, primary_key=True)
    venue_id: int = Field(foreign_key="venue.id")
    registration_id: int = Field(foreign_key="registration.id", index=True)  # the host's
    person_id: int = Field(foreign_key="person.id")  # the visitor
    arrived_at: datetime
    left_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class Event(SQLModel, table=True):
    """One thing that happened, append-only: what the platform is told, in the order it happened.

    `seq` orders the log; `event_id` is the globally unique id the platform deduplicates on. `payload_sealed`
    is the event's wire `data` (JSON), encrypted because it carries the person's details.
    """

    seq: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    type: str = Field(max_length=32)
    registration_id: int | None = Field(default=None, foreign_key="registration.id", index=True)
    occurred_at: datetime
    payload_sealed: bytes = Field(sa_column=_sealed(nullable=False))
    operator: str | None = Field(default=None, max_length=64)
    created_at: datetime


class OutboxEntry(SQLModel, table=True):
    """An event's delivery state. Written in the same transaction as its event; the uploader owns it after."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_seq", "state", "event_seq"),
                      Index("ix_outbox_batch_id", "batch_id"))  # a batch's receipts find its events

    event_seq: int = Field(primary_key=True, foreign_key="event.seq")
    state: str = Field(max_length=16)
    batch_id: str | None = Field(default=None, max_length=36)
    attempts: int = 0
    reject_code: str | None = Field(default=None, max_length=64)
    reject_zh: str | None = None
    reject_en: str | None = None
    updated_at: datetime


class OutboxBatch(SQLModel, table=True):
    """A batch of outbox events as sealed for the platform, kept until the platform has answered.

    The sealed body is stored BEFORE the first attempt and resent unchanged on every retry: HPKE is
    randomised, so sealing the same events again would give a different body under the same
    idempotency key. The body is encrypted to the platform's key, so it holds no readable personal data.
    `answer` keeps the platform's signed receipts: the venue's proof that it reported.
    """

    __tablename__ = "outbox_batch"

    batch_id: str = Field(primary_key=True, max_length=36)
    state: str = Field(max_length=16, index=True)  # open | answered | resealed
    key_id: str = Field(max_length=64)
    suite: str = Field(max_length=64)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    event_count: int
    attempts: int = 0
    created_at: datetime
    last_attempt_at: datetime | None = None
    answered_at: datetime | None = None
    answer: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class SenderLease(SQLModel, table=True):
    """Who may send: one sender per database, so two daemons, or a daemon and a TUI, never both send.

    A holder renews its lease while it runs; a lease left by a killed process is taken over once it has
    expired.
    """

    __tablename__ = "sender_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=128)
    expires_at: datetime


class PermitCheck(SQLModel, table=True):
    """The platform's answer to a residence-permit check (一证通) for a registration, kept with its time.

    `answer` is the platform's signed statement (it names no personal number): the venue's proof that
    it checked, and what the platform said.
    """

    __tablename__ = "permit_check"

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    status: str = Field(max_length=16)  # valid | expired | revoked | not_found
    valid_until: str | None = Field(default=None, max_length=10)
    checked_at: datetime
    operator: str | None = Field(default=None, max_length=64)
    answer: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditEntry(SQLModel, table=True):
    """One action in the venue's audit trail: who did what, when, to which registration (agent.store.audit).

    Append-only and hash-chained: `hash` is SHA-256 over `prev_hash` and the entry's canonical form, and
    `prev_hash` is unique, so the chain cannot fork. No personal data: the trail outlives retention, so
    an entry names a registration by id and what was written by the SHA-256 of its ciphertext
    (`digest`). Migration 0004 adds triggers refusing UPDATE and DELETE; a later migration that
    rebuilds this table on SQLite (batch mode) must create them again.
    """

    __tablename__ = "audit"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime
    operator: str = Field(max_length=64)
    action: str = Field(max_length=32)
    registration_id: int | None = Field(default=None, index=True)  # no foreign key: the trail stands alone
    event_seq: int | None = Field(default=None, unique=True)
    digest: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, max_length=500)  # canonical JSON of non-personal facts
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64)


class OperatorAccount(SQLModel, table=True):
    """A person who works the desk: their name (what the audit trail records), role and PIN hash.

    A removed operator keeps the row (`removed_at`): the trail names them, and a name is never given to
    someone else. `failed_attempts` and `locked_until` slow down guessing (agent.duties.operators).
    """

    __tablename__ = "operator"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=32, unique=True)
    role: str = Field(max_length=16)  # owner | clerk
    pin_hash: str = Field(max_length=200)
    failed_attempts: int = 0
    locked_until: datetime | None = None
    created_at: datetime
    removed_at: datetime | None = None

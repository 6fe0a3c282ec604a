"""The venue's audit trail: every action, by whom and when, in an append-only hash chain.

"Whoever rents out is responsible": the trail is how a venue proves what it did. Each entry records
the action, the operator, the time, the registration's id (if any) and a digest - never personal data,
because the trail outlives the retention purge. An event's digest is the SHA-256 of its sealed payload
(ciphertext: it reveals nothing, and it pins exactly the bytes that were written).

The chain: `hash = SHA-256(prev_hash + "\\n" + canonical(entry))`, the first entry chained to 64 zeros.
An entry is appended inside the SAME write transaction as its action (`append(session, ...)`), so an
action that committed has its entry and a rolled-back one has none. On SQLite the write transaction
holds the database's write lock, so reading the head and appending cannot race; on PostgreSQL
`prev_hash` is unique, so two desks appending at once cannot fork the chain (the loser's transaction
fails and nothing of it is kept).

Append-only is enforced twice: triggers refuse UPDATE and DELETE on the table (migration 0004), and
`verify` is the proof - it recomputes every link, checks the numbering has no gap, and checks every
event of the register against its entry, naming the first entry that does not hold. What no chain
kept inside the same file can prove is that nobody rewrote it from some entry to the end: for that,
write down the head `verify` prints (or hand it to the inspector) and check it later with `anchor`.

>>> entry = canonical(1, _T, "owner", "registration", 7, 1, "ab" * 32, None)
>>> entry[:64]
b'[1,1,"2026-11-25T02:00:00.000000+00:00","owner","registration",7'
>>> first = link(GENESIS, entry)
>>> len(first), first == link(GENESIS, entry.replace(b"owner", b"clerk"))
(64, False)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from agent.domain.errors import VaultError
from agent.store.database import Store, lock
from agent.store.models import AuditEntry, Event, Person, Registration
from agent.store.vault import Vault

GENESIS = "0" * 64
_VERSION = 1  # of the canonical form; bump it and keep the old one readable if it ever changes

# What the trail records besides events (whose action is the event type: registration, departure, ...).
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOCKED_OUT = "locked_out"
EXPORT = "export"
INSPECT = "inspect"
SETTING = "setting"
VENUE = "venue"
OPERATOR_ADDED = "operator_added"
OPERATOR_REMOVED = "operator_removed"
PIN_CHANGED = "pin_changed"
PURGE = "purge"
PERMIT_CHECK = "permit_check"
BACKUP = "backup"
RESEAL = "reseal"  # an event's payload sealed anew (`agent.duties.at_rest`): detail `event`, its new digest

Detail = Mapping[str, str | int | bool | None]


def canonical(seq: int, at: datetime, operator: str, action: str, registration_id: int | None,
              event_seq: int | None, digest: str | None, detail: str | None) -> bytes:
    """The bytes an entry's hash covers: every column but the hashes, in a fixed order and form."""
    stamp = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps([_VERSION, seq, stamp, operator, action, registration_id, event_seq, digest, detail],
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def link(prev_hash: str, entry: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + entry).hexdigest()


def digest_of(data: bytes) -> str:
    """The digest an entry keeps of what its action wrote (a sealed payload, an exported file)."""
    return hashlib.sha256(data).hexdigest()


def detail_text(detail: Detail | None) -> str | None:
    """Non-personal facts (counts, a format, a setting's name and value) as canonical JSON."""
    if not detail:
        return None
    return json.dumps(dict(detail), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# Core statements, built once: appending is on the path of every registration (bench/store_figures.py),
# and the ORM's machinery cost more than the work itself.
_TABLE = AuditEntry.__table__  # type: ignore[attr-defined]
_HEAD = sa_select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
_INSERT = insert(_TABLE)


def append(session: Session, *, action: str, operator: str, at: datetime, registration_id: int | None = None,
           event_seq: int | None = None, digest: str | None = None, detail: Detail | None = None) -> int:
    """Append one entry in the caller's write transaction; returns its number.

    The caller's transaction must be a write transaction (`Store.write`): the head is read under its
    lock, and the entry commits or rolls back with the action it records.
    """
    conn = session.connection()
    lock(conn, "audit")  # PostgreSQL: desks append one at a time, so two never link to the same head
    head = conn.execute(_HEAD).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at = at.astimezone(UTC)
    details = detail_text(detail)
    entry_hash = link(prev, canonical(seq, at, operator, action, registration_id, event_seq, digest, details))
    conn.execute(_INSERT, {
        "seq": seq, "at": at, "operator": operator, "action": action, "registration_id": registration_id,
        "event_seq": event_seq, "digest": digest, "detail": details, "prev_hash": prev, "hash": entry_hash})
    return seq


def record(store: Store, *, action: str, operator: str, at: datetime | None = None,
           registration_id: int | None = None, digest: str | None = None, detail: Detail | None = None) -> int:
    """Append one entry in a transaction of its own: for actions that write nothing else to the store
    (an export, a login, a look at one person). Returns the entry's number."""
    moment = at or datetime.now(UTC)
    return store.write(lambda session: append(session, action=action, operator=operator, at=moment,
                                              registration_id=registration_id, digest=digest, detail=detail))


# -- reading and proving ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    operator: str
    action: str
    registration_id: int | None
    event_seq: int | None
    digest: str | None
    detail: str | None
    hash: str

    def as_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "at": self.at.isoformat(), "operator": self.operator, "action": self.action,
                "registration_id": self.registration_id, "event_seq": self.event_seq, "digest": self.digest,
                "detail": json.loads(self.detail) if self.detail else None, "hash": self.hash}


def entries(store: Store, *, registration_id: int | None = None, last: int | None = None) -> list[Entry]:
    """Entries oldest first; only those of one registration, or only the `last` few."""
    query = select(AuditEntry)
    if registration_id is not None:
        query = query.where(AuditEntry.registration_id == registration_id)
    if last is not None:
        query = query.order_by(col(AuditEntry.seq).desc()).limit(last)
    with store.read() as session:
        rows = session.exec(query).all()
    found = [Entry(r.seq or 0, r.at, r.operator, r.action, r.registration_id, r.event_seq, r.digest, r.detail,
                   r.hash) for r in rows]
    return sorted(found, key=lambda e: e.seq)


@dataclass(frozen=True)
class Break:
    """The first entry that does not hold, and why (zh/en: the operator and the inspector read it)."""

    seq: int  # 0: not an entry, a person's record (`_check_people`)
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Verdict:
    count: int  # entries checked
    head_seq: int
    head_hash: str
    broken: Break | None
    warnings: tuple[tuple[str, str], ...] = ()  # (zh, en): not proof of tampering, worth knowing

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(store: Store, anchor: tuple[int, str] | None = None) -> Verdict:
    """Recompute the chain and check every event against its entry; name the first thing that fails.

    `anchor` (a number and hash written down earlier) must still be in the chain: that catches a chain
    rewritten from some entry onward, which the links alone cannot.
    """
    count, prev_seq, prev_hash = 0, 0, GENESIS
    broken: Break | None = None
    anchored = anchor is None
    with store.read() as session:
        for row in _stream(session):
            count += 1
            seq = row.seq or 0
            if seq != prev_seq + 1:
                broken = Break(prev_seq + 1, f"第 {prev_seq + 1} 条记录缺失（被删除）",
                               f"entry {prev_seq + 1} is missing (deleted)")
                break
            if row.prev_hash != prev_hash:
                broken = Break(seq, f"第 {seq} 条记录与前一条的链接被改动",
                               f"entry {seq} no longer links to entry {prev_seq}: the chain was altered")
                break
            expected = link(prev_hash, canonical(seq, row.at, row.operator, row.action, row.registration_id,
                                                 row.event_seq, row.digest, row.detail))
            if row.hash != expected:
                broken = Break(seq, f"第 {seq} 条记录的内容被改动（哈希不符）",
                               f"entry {seq} was edited: its content does not match its hash")
                break
            if anchor is not None and seq == anchor[0]:
                if row.hash != anchor[1]:
                    broken = Break(seq, f"第 {seq} 条记录与先前抄下的哈希不符：日志从这里起被重写",
                                   f"entry {seq} differs from the hash written down earlier: the log was "
                                   "rewritten from here on")
                    break
                anchored = True
            prev_seq, prev_hash = seq, row.hash
        if broken is None and not anchored:
            assert anchor is not None
            broken = Break(anchor[0], f"先前抄下的第 {anchor[0]} 条记录已不存在：日志被截短",
                           f"entry {anchor[0]}, written down earlier, is gone: the log was cut short")
        if broken is None:
            broken = _check_events(session)
        if broken is None:
            broken = _check_people(session, store.vault)
        warnings = () if _guarded(session) else (
            ("审计日志的防改写触发器不在了：数据库曾被直接改动过",
             "the audit log's append-only triggers are gone: the database was altered directly"),)
    return Verdict(count, prev_seq, prev_hash, broken, warnings)


def _stream(session: Session) -> Iterator[AuditEntry]:
    yield from session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)).execution_options(yield_per=2000))


def _check_events(session: Session) -> Break | None:
    """Every event has its entry, made by the same operator, and its payload is the one written then
    (unless retention erased it - and then its registration says so), or the one its latest `reseal`
    entry names (the suite at rest was switched: `agent.duties.at_rest`)."""
    resealed = {json.loads(detail or "{}").get("event"): digest for detail, digest in session.exec(
        select(AuditEntry.detail, AuditEntry.digest).where(AuditEntry.action == RESEAL).order_by(col(AuditEntry.seq)))}
    rows = session.exec(
        select(Event.seq, Event.type, Event.operator, Event.registration_id, Event.payload_sealed,
               AuditEntry.seq, AuditEntry.action, AuditEntry.operator, AuditEntry.registration_id,
               AuditEntry.digest, Registration.purged_at)
        .join(AuditEntry, col(AuditEntry.event_seq) == Event.seq, isouter=True)
        .join(Registration, col(Registration.id) == Event.registration_id, isouter=True)
        .order_by(col(Event.seq)).execution_options(yield_per=2000))
    for (seq, kind, operator, reg_id, payload, a_seq, a_action, a_operator, a_reg_id, a_digest, purged) in rows:
        if a_seq is None:
            return Break(seq, f"事件 {seq} 没有审计记录：它是绕过登记程序写入的，或其记录被删除",
                         f"event {seq} has no audit entry: it was written around the agent, or its entry deleted")
        if (kind, operator or "", reg_id) != (a_action, a_operator, a_reg_id):
            return Break(a_seq, f"事件 {seq} 与第 {a_seq} 条审计记录不符（类型、操作员或登记号被改动）",
                         f"event {seq} disagrees with audit entry {a_seq}: its type, operator or registration "
                         "was changed")
        if payload:
            if digest_of(payload) != resealed.get(seq, a_digest):
                return Break(a_seq, f"事件 {seq} 的内容在写入后被改动（见第 {a_seq} 条审计记录）",
                             f"event {seq} was changed after it was written (audit entry {a_seq})")
        elif purged is None:
            return Break(a_seq, f"事件 {seq} 的内容被清空，但不是按保存期限清除的",
                         f"event {seq} was emptied, but not by the retention purge")
    orphan = session.exec(
        select(AuditEntry.seq, AuditEntry.event_seq)
        .join(Event, col(Event.seq) == AuditEntry.event_seq, isouter=True)
        .where(col(AuditEntry.event_seq).is_not(None), col(Event.seq).is_(None))
        .order_by(col(AuditEntry.seq)).limit(1)).first()
    if orphan is not None:
        return Break(orphan[0], f"第 {orphan[0]} 条审计记录所记的事件 {orphan[1]} 已被删除",
                     f"event {orphan[1]}, recorded by audit entry {orphan[0]}, was deleted")
    return None


# A person's sealed columns and the labels they are sealed under (`agent.store.vault`, format 0x02 or 0x03).
PERSON_SEALED = (("name_sealed", "person.name"), ("doc_number_sealed", "person.doc_number"),
                 ("birth_date_sealed", "person.birth_date"), ("address_sealed", "person.address"),
                 ("phone_sealed", "person.phone"), ("residence_permit_sealed", "person.residence_permit_number"))


def _check_people(session: Session, vault: Vault) -> Break | None:
    """Every sealed field of every person opens in its own row: a field moved from another person, or
    altered, does not (the vault binds each to its table, column and row)."""
    columns = [getattr(Person, column) for column, _ in PERSON_SEALED]
    rows = session.exec(select(Person.id, *columns).order_by(col(Person.id)).execution_options(yield_per=2000))
    for person_id, *blobs in rows:
        for (_, label), blob in zip(PERSON_SEALED, blobs, strict=True):
            if not blob:
                continue  # never given, or erased by the retention purge
            try:
                vault.open(blob, label, person_id)
            except VaultError as exc:
                return Break(0, exc.zh, exc.en)
    return None


def _guarded(session: Session) -> bool:
    """Whether the append-only triggers are still in place (SQLite; PostgreSQL is not inspected)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return True
    names = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                  "AND tbl_name = 'audit'")).scalars())
    return {"audit_no_update", "audit_no_delete"} <= names


_T = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # for the doctest above

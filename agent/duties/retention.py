"""Retention: personal data of people long gone is erased, once the platform has confirmed every event.

The venue keeps a person's details while it may need them - while they stay, and for a retention
period after they leave (default 180 days, set with `dengji retention DAYS`) - and no longer, as the
personal-information protection law asks. A registration is purged when

- it ended (departure or cancellation) more than the retention period ago, and
- every one of its events is `sent` (the platform confirmed it): nothing unsent is ever purged - a
  rejected or pending event keeps the registration, and its person, until it is resolved.

Purging a registration empties its events' sealed payloads. Its person's sealed fields, blind index and
masked number are erased only when nothing else needs them: no other registration of theirs is present
or unpurgeable, and no child they are the guardian of still keeps theirs. A visit's events belong to the
stay visited (`Event.registration_id` is the host's), so they are erased with it; so is the visitor,
unless they visited a stay that is kept, or have a registration of their own that is. What stays: the rows, their
ids, times, units and kinds (the counts an inspector may ask for), and the audit trail, whose entries
hold the ciphertexts' digests, never their content.

On SQLite the purge runs with `secure_delete` (freed space is overwritten with zeros) and then
checkpoints the write-ahead log, so the erased ciphertext is gone from the files, not merely
unreferenced. If another process is reading at that moment the log cannot be emptied; the next purge
(daily, by the daemon) tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from agent.domain import OutboxState
from agent.domain.errors import RetentionError
from agent.duties.operators import require_owner
from agent.store import audit
from agent.store.database import Store
from agent.store.models import Event, Meta, OutboxEntry, Person, Registration, Visit

log = logging.getLogger("dengji.retention")

DEFAULT_DAYS = 180
MIN_DAYS, MAX_DAYS = 30, 3650
_META_KEY = "retention_days"
PURGED_MASK = "-"


@dataclass(frozen=True)
class PurgePlan:
    """What a purge erases (or, dry, would erase), as counts and registration ids - no personal data."""

    days: int
    cutoff: datetime  # registrations that ended before this
    registrations: tuple[int, ...]
    people: int
    events: int
    waiting: int  # ended before the cutoff, but some event is not confirmed yet: kept

    def as_dict(self) -> dict[str, object]:
        return {"days": self.days, "cutoff": self.cutoff.isoformat(), "registrations": len(self.registrations),
                "people": self.people, "events": self.events, "waiting_for_platform": self.waiting}


def retention_days(store: Store) -> int:
    """The retention period in days (a setting in the store, shared by every desk)."""
    with store.read() as session:
        row = session.get(Meta, _META_KEY)
    try:
        return int(row.value.decode("ascii")) if row else DEFAULT_DAYS
    except ValueError:
        return DEFAULT_DAYS


def set_retention_days(store: Store, days: int, *, operator: str, now: datetime | None = None) -> None:
    """Change the retention period (owners only; audited as a setting)."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise RetentionError(f"保存期限应为 {MIN_DAYS} 到 {MAX_DAYS} 天", f"the retention period is {MIN_DAYS} to {MAX_DAYS} days",
                             code="retention.days", field="days")
    moment = now or datetime.now(UTC)

    def work(session: Session) -> None:
        require_owner(session, operator)
        session.merge(Meta(key=_META_KEY, value=str(days).encode("ascii")))
        audit.append(session, action=audit.SETTING, operator=operator, at=moment,
                     detail={"name": _META_KEY, "value": days})

    store.write(work)


def plan(store: Store, now: datetime | None = None) -> PurgePlan:
    """What `purge` would erase now (the dry run)."""
    days = retention_days(store)
    with store.read() as session:
        return _plan(session, days, now or datetime.now(UTC))[0]


def purge(store: Store, *, operator: str, now: datetime | None = None) -> PurgePlan:
    """Erase what the plan names, in one transaction that also records it in the audit trail."""
    moment = now or datetime.now(UTC)
    days = retention_days(store)
    sqlite = store.engine.dialect.name == "sqlite"

    def work(session: Session) -> PurgePlan:
        with secure_delete(session):
            found, people = _plan(session, days, moment)
            if found.registrations:
                _erase(session, found, people, moment, operator)
        return found

    done = store.write(work)
    if done.registrations and sqlite:
        checkpoint(store)
    log.info("retention purge: %d registrations, %d people, %d events erased; %d waiting for the platform",
             len(done.registrations), done.people, done.events, done.waiting)
    return done


def _plan(session: Session, days: int, now: datetime) -> tuple[PurgePlan, set[int]]:
    """The plan, and the ids of the people to erase (kept apart: they never leave this module)."""
    cutoff = now - timedelta(days=days)
    ended = select(Registration.id).where(
        col(Registration.purged_at).is_(None),
        or_(col(Registration.departed_at) < cutoff, col(Registration.cancelled_at) < cutoff))
    # Registrations with an event the platform has not confirmed (pending, in flight, rejected, ...).
    unsent = (select(Event.registration_id)
              .join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq, isouter=True)
              .where(col(Event.registration_id).is_not(None),
                     or_(col(OutboxEntry.state).is_(None), OutboxEntry.state != OutboxState.SENT.value)))
    chosen = session.exec(ended.where(col(Registration.id).not_in(unsent)).order_by(col(Registration.id))).all()
    waiting = session.exec(select(func.count()).select_from(
        ended.where(col(Registration.id).in_(unsent)).subquery())).one()
    if not chosen:
        return PurgePlan(days, cutoff, (), 0, 0, waiting), set()
    people = _erasable_people(session, set(chosen))
    events = sum(session.exec(select(func.count()).select_from(Event)
                              .where(col(Event.registration_id).in_(part))).one() for part in _chunks(chosen))
    return PurgePlan(days, cutoff, tuple(chosen), len(people), events, waiting), people


def _chunks(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    """Ids in slices: SQLite caps the parameters of one statement, and a first purge may be large."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def _erasable_people(session: Session, purgeable: set[int]) -> set[int]:
    """People whose every registration is purgeable or purged, and whose wards are erasable too."""
    seeds: set[int] = set()
    for part in _chunks(purgeable):
        seeds |= set(session.exec(select(Registration.person_id).where(col(Registration.id).in_(part))).all())
        # The visitors of a purgeable stay: their visits' events are erased with the stay's.
        seeds |= set(session.exec(select(Visit.person_id).where(col(Visit.registration_id).in_(part))).all())
    candidates = set(seeds)
    for part in _chunks(seeds):
        candidates |= {g for g in session.exec(select(Person.guardian_id).where(col(Person.id).in_(part))).all()
                       if g is not None}
    erasable: set[int] = set()
    for part in _chunks(candidates):
        alive = set(session.exec(select(Person.id).where(col(Person.id).in_(part),
                                                         col(Person.purged_at).is_(None))).all())
        # Anyone with a registration that is neither purged nor being purged keeps their data.
        others = session.exec(select(Registration.person_id, Registration.id).where(
            col(Registration.person_id).in_(part), col(Registration.purged_at).is_(None))).all()
        alive -= {person for person, reg in others if reg not in purgeable}
        # ... and so does anyone who visited someone whose stay is neither purged nor being purged.
        visiting = session.exec(select(Visit.person_id, Visit.registration_id)
                                .join(Registration, col(Registration.id) == Visit.registration_id)
                                .where(col(Visit.person_id).in_(part), col(Registration.purged_at).is_(None))).all()
        alive -= {person for person, reg in visiting if reg not in purgeable}
        erasable |= alive
    # A guardian keeps their data while a ward of theirs keeps theirs (the ward's record names them).
    wards = [row for part in _chunks(erasable) for row in session.exec(
        select(Person.id, Person.guardian_id, Person.purged_at).where(col(Person.guardian_id).in_(part))).all()]
    changed = True
    while changed:
        changed = False
        for ward, guardian, purged in wards:
            if guardian in erasable and purged is None and ward not in erasable:
                erasable.discard(guardian)
                changed = True
    return erasable


def _erase(session: Session, found: PurgePlan, people: set[int], now: datetime, operator: str) -> None:
    per_registration: dict[int, int] = {}
    for part in _chunks(found.registrations):
        per_registration.update(session.exec(
            select(Event.registration_id, func.count()).where(col(Event.registration_id).in_(part))
            .group_by(col(Event.registration_id))).all())
        session.execute(update(Event).where(col(Event.registration_id).in_(part)).values(payload_sealed=b""))
        session.execute(update(Registration).where(col(Registration.id).in_(part)).values(purged_at=now))
    for part in _chunks(people):
        session.execute(update(Person).where(col(Person.id).in_(part)).values(
            name_sealed=b"", doc_number_sealed=None, birth_date_sealed=None, address_sealed=None,
            phone_sealed=None, residence_permit_sealed=None, doc_index=None, doc_masked=PURGED_MASK,
            sex=None, ethnicity=None, nationality=None, guardian_id=None, purged_at=now, updated_at=now))
    for reg_id in found.registrations:
        audit.append(session, action=audit.PURGE, operator=operator, at=now, registration_id=reg_id,
                     detail={"events": per_registration.get(reg_id, 0)})
    audit.append(session, action=audit.PURGE, operator=operator, at=now,
                 detail={"registrations": len(found.registrations), "people": len(people),
                         "events": found.events, "days": found.days})


@contextmanager
def secure_delete(session: Session) -> Iterator[None]:
    """On SQLite, have what this transaction erases or overwrites zeroed in the file, not merely freed
    (the purge; `agent.duties.at_rest`'s re-seal). Nothing to do on PostgreSQL."""
    sqlite = session.connection().dialect.name == "sqlite"
    if sqlite:
        session.connection().exec_driver_sql("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        if sqlite:
            session.connection().exec_driver_sql("PRAGMA secure_delete = OFF")


def checkpoint(store: Store) -> None:
    """Move the write-ahead log into the database file and empty it, so erased pages leave the log."""
    raw = store.engine.raw_connection()
    try:
        busy, _, _ = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        raw.close()
    if busy:
        log.info("checkpoint: another process was reading; the log is emptied at the next checkpoint")

"""The venue's register: the agent API that the CLI and the TUI call.

Every change to a registration is ONE write transaction that writes the row, its event in the
append-only log and the event's outbox entry, so the platform can never miss a change that the venue
sees, and never hear of one the venue lost. Input is checked first by the same validator the platform
runs (`agent.validation.registration`); rules that need the store (no second open stay of a person at
the venue) are checked inside the transaction, so two desks or two processes cannot both pass the
check. On SQLite the transaction holds the database's write lock. On PostgreSQL, whose READ COMMITTED
transactions would both see "not present" and both insert, a registration first takes advisory locks
named by the person's blind index (and the guardian's, and the unit's label): two desks registering the
same person take turns, and the second sees the first one's stay. A departure locks its row.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, SQLModel, col, select

from agent.delivery import outbox_counts
from agent.domain import CHINA_TIME, REGISTRATION_KIND_OF_VENUE, EventType, OutboxState, VenueKind
from agent.store.database import Store, lock
from agent.store.models import Event, OutboxEntry, Person, Registration, Unit, Venue
from agent.templates import load_template
from agent.validation import Problem
from agent.validation.documents import mask_document
from agent.validation.phone import mask as mask_phone
from agent.validation.registration import check_departure, check_registration


@dataclass
class Outcome:
    """What became of one request: the registration's id, or the problems that refused it.

    Warnings (an unknown county code) come with a successful outcome; errors mean nothing was written.
    """

    registration_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.registration_id is not None


@dataclass(frozen=True)
class RegistrationView:
    """A registration as lists show it: the name in full, the numbers masked."""

    id: int
    kind: str
    unit: str
    name: str
    sex: str | None
    doc_type: str
    doc_masked: str
    phone_masked: str | None
    arrived_at: datetime
    expected_departure: datetime | None
    departed_at: datetime | None

    @property
    def present(self) -> bool:
        return self.departed_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "unit": self.unit, "name": self.name, "sex": self.sex,
            "doc_type": self.doc_type, "doc_number": self.doc_masked, "phone": self.phone_masked,
            "arrived_at": _iso(self.arrived_at), "expected_departure": _iso(self.expected_departure),
            "departed_at": _iso(self.departed_at), "present": self.present,
        }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(CHINA_TIME).isoformat(timespec="minutes") if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _problem(code: str, zh: str, en: str, field_name: str | None = None) -> Problem:
    return Problem(code, zh, en, field_name)


# Optional personal fields of the payload and the sealed column that keeps each.
_SEALED_PERSON_FIELDS = (
    ("birth_date", "birth_date_sealed"),
    ("address", "address_sealed"),
    ("phone", "phone_sealed"),
    ("residence_permit_number", "residence_permit_sealed"),
)


class _Refused(Exception):
    """Raised inside a write transaction to roll it back with a problem for the operator."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _DryRun(Exception):
    """Raised at the end of a dry-run transaction so that it rolls back."""

    def __init__(self, registration_id: int) -> None:
        self.registration_id = registration_id


class Registry:
    """Register arrivals and departures at the store's venue and answer who is here."""

    def __init__(self, store: Store, operator: str = "owner", clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.operator = operator
        self._clock = clock or (lambda: datetime.now(UTC))
        # Look-ups that do not change once committed; kept to spare each registration a query.
        self._venue: tuple[int, str] | None = None
        self._units: dict[str, int] = {}
        self._names: dict[bytes, str] = {}

    # -- the venue ---------------------------------------------------------------------------------

    def venue(self) -> Venue | None:
        with self.store.read() as session:
            return session.exec(select(Venue)).first()

    def set_venue(self, venue: Venue) -> Venue:
        """Create or replace the venue's details (one venue per store)."""

        def work(session: Session) -> Venue:
            existing = session.exec(select(Venue)).first()
            if existing is not None:
                for name in ("kind", "name", "address", "police_station", "agreement_no",
                             "rental_filing_no", "credit_code"):
                    setattr(existing, name, getattr(venue, name))
                venue_row = existing
            else:
                venue.created_at = self._clock()
                venue_row = venue
            session.add(venue_row)
            session.flush()
            return venue_row

        self._venue = None
        return self.store.write(work)

    def _venue_info(self) -> tuple[int, str] | None:
        """The venue's id and kind, or None before `dengji init`; read once (a venue is set up once, and
        `set_venue` forgets it)."""
        if self._venue is None:
            with self.store.read() as session:
                venue = session.exec(select(Venue)).first()
            if venue is not None and venue.id is not None:
                self._venue = (venue.id, venue.kind)
        return self._venue

    # -- arrivals and departures -------------------------------------------------------------------

    def register(self, payload: Mapping[str, Any], *, dry_run: bool = False) -> Outcome:
        """Register one arrival; a refused record writes nothing.

        With `dry_run`, every check runs, the store's included, and the transaction is rolled back:
        the outcome's id is the one the record would have had.
        """
        now = self._clock()
        checked = check_registration(payload, now=now)
        errors = [p for p in checked.problems if p.severity == "error"]
        if errors or checked.data is None:
            return Outcome(None, checked.problems)
        data = checked.data
        venue = self._venue_info()
        if venue is None:
            return Outcome(None, [_problem("venue.missing", "还没有设置场所，请先运行 dengji init",
                                           "no venue is set up yet: run `dengji init` first")])
        # The venue kind's form says what else it must record (a landlord: lease end, phone, ...).
        missing = load_template(venue[1]).missing(data)
        if missing:
            return Outcome(None, missing)

        def work(session: Session) -> int:
            reg_id = self._register(session, venue, data, now)
            if dry_run:
                raise _DryRun(reg_id)
            return reg_id

        try:
            reg_id = self.store.write(work)
        except _Refused as refused:
            return Outcome(None, [refused.problem])
        except _DryRun as done:
            reg_id = done.registration_id
        return Outcome(reg_id, checked.problems)

    def _register(self, session: Session, venue: tuple[int, str], data: dict[str, Any], now: datetime) -> int:
        # Core statements rather than ORM objects: this is the hot path of every registration, and the
        # unit-of-work machinery cost more than the fsync of the commit (see bench/store_figures.py).
        venue_id, venue_kind = venue
        expected_kind = REGISTRATION_KIND_OF_VENUE[VenueKind(venue_kind)]
        if data["kind"] != expected_kind:
            raise _Refused(_problem(
                "registration.kind_mismatch",
                f"本场所只能登记 {expected_kind}，不能登记 {data['kind']}",
                f"this venue registers {expected_kind}, not {data['kind']}", "kind"))
        lock(session, *self._lock_names(data))
        person_id = self._upsert_person(session, data["person"], data.get("guardian"), now)
        open_reg = session.exec(
            select(Registration.id).where(
                Registration.venue_id == venue_id, Registration.person_id == person_id,
                col(Registration.departed_at).is_(None), col(Registration.cancelled_at).is_(None))
        ).first()
        if open_reg is not None:
            raise _Refused(_problem(
                "registration.already_present",
                f"此人已在本场所登记（登记号 {open_reg}），请先办理离开",
                f"this person is already registered here (registration {open_reg}); record the departure first",
                "person.doc_number"))
        reg_id = _insert(session, Registration,
                         venue_id=venue_id, unit_id=self._unit(session, venue_id, data["unit"]), person_id=person_id,
                         kind=data["kind"], arrived_at=datetime.fromisoformat(data["arrived_at"]),
                         expected_departure=_parse_time(data.get("expected_departure")),
                         departed_at=_parse_time(data.get("departed_at")), position=data.get("position"),
                         lodges_on_site=data.get("lodges_on_site"), reason=data.get("reason"),
                         created_at=now, updated_at=now)
        self._record_event(session, EventType.REGISTERED, reg_id, {**data, "registration_id": str(reg_id)}, now)
        return reg_id

    def _lock_names(self, data: Mapping[str, Any]) -> list[str]:
        """What a registration must hold alone until it commits: the person (by blind index, never the
        number itself), the guardian (which covers a child known only by the guardian), and the unit
        (created on first use by whichever desk gets there first)."""
        names = [f"unit {data['unit']}"]
        for who in (data["person"], data.get("guardian")):
            if who and who.get("doc_number"):
                names.append("person " + self.store.vault.blind_index(who["doc_type"], who["doc_number"]))
        return names

    def depart(self, registration_id: int, at: datetime | None = None) -> Outcome:
        """Record a departure (check-out, move-out, end of employment)."""
        now = self._clock()
        departed_at = at or now
        if departed_at.tzinfo is None:
            departed_at = departed_at.replace(tzinfo=CHINA_TIME)

        def work(session: Session) -> int:
            # FOR UPDATE on PostgreSQL: two desks recording the same departure take turns, and the second
            # sees the first one's (SQLite ignores it: its write lock already serialises).
            reg = session.get(Registration, registration_id, with_for_update=True)
            if reg is None or reg.cancelled_at is not None:
                raise _Refused(_problem("registration.not_found", f"没有登记号为 {registration_id} 的登记",
                                        f"there is no registration {registration_id}", "registration_id"))
            if reg.departed_at is not None:
                raise _Refused(_problem(
                    "registration.already_departed",
                    f"登记 {registration_id} 已于 {_iso(reg.departed_at)} 离开",
                    f"registration {registration_id} already departed at {_iso(reg.departed_at)}",
                    "registration_id"))
            problems = check_departure(reg.arrived_at, departed_at, now)
            if problems:
                raise _Refused(problems[0])
            reg.departed_at = departed_at
            reg.updated_at = now
            session.add(reg)
            self._record_event(session, EventType.DEPARTED, registration_id,
                               {"registration_id": str(registration_id),
                                "departed_at": departed_at.astimezone(CHINA_TIME).isoformat()}, now)
            return registration_id

        try:
            return Outcome(self.store.write(work))
        except _Refused as refused:
            return Outcome(None, [refused.problem])

    # -- what the store holds ----------------------------------------------------------------------

    def registrations(self, *, present_only: bool = False, arrived_from: date | None = None,
                      arrived_to: date | None = None) -> list[RegistrationView]:
        """Registrations newest first; `present_only` keeps those not departed."""
        query = self._view_query()
        if present_only:
            query = query.where(col(Registration.departed_at).is_(None))
        if arrived_from:
            query = query.where(Registration.arrived_at >= _day_start(arrived_from))
        if arrived_to:
            query = query.where(Registration.arrived_at < _day_start(arrived_to, days=1))
        return self._views(query)

    def search(self, text: str, *, present_only: bool = True) -> list[RegistrationView]:
        """Find by name (any part) or by the last digits of the document number.

        Digits are matched in SQL against the masked number. Names are encrypted, so a name is matched
        over the decrypted names of the candidates; each decrypted name is remembered by its
        ciphertext (a changed name is a new ciphertext), so repeated searches - the TUI searches as the
        operator types - decrypt each name once. Full views are built for the matches only.
        """
        needle = text.strip().upper()
        if not needle:
            return self.registrations(present_only=present_only)
        candidates = select(Registration.id, Person.name_sealed, Person.doc_masked).join(
            Person, col(Person.id) == Registration.person_id).where(col(Registration.cancelled_at).is_(None))
        if present_only:
            candidates = candidates.where(col(Registration.departed_at).is_(None))
        by_digits = needle.isalnum() and any(c.isdigit() for c in needle)
        with self.store.read() as session:
            rows = session.exec(candidates).all()
        ids = [reg_id for reg_id, name_sealed, masked in rows
               if (by_digits and masked.upper().endswith(needle)) or needle in self._name(name_sealed).upper()]
        if not ids:
            return []
        return self._views(self._view_query().where(col(Registration.id).in_(ids)))

    def _name(self, sealed: bytes) -> str:
        name = self._names.get(sealed)
        if name is None:
            name = self.store.vault.open(sealed, "person.name") or ""
            if len(self._names) > 50_000:
                self._names.clear()
            self._names[sealed] = name
        return name

    def find_by_document(self, doc_type: str, number: str) -> list[RegistrationView]:
        """All registrations of the person holding this document, through the blind index."""
        index = self.store.vault.blind_index(doc_type, number)
        return self._views(self._view_query().where(Person.doc_type == doc_type, Person.doc_index == index))

    @staticmethod
    def _view_query():  # type: ignore[no-untyped-def]
        return (select(Registration.id, Registration.kind, Unit.label, Person.name_sealed, Person.sex,
                       Person.doc_type, Person.doc_masked, Person.phone_sealed, Registration.arrived_at,
                       Registration.expected_departure, Registration.departed_at)
                .join(Person, col(Person.id) == Registration.person_id)
                .join(Unit, col(Unit.id) == Registration.unit_id)
                .where(col(Registration.cancelled_at).is_(None))
                .order_by(col(Registration.arrived_at).desc(), col(Registration.id).desc()))

    def _views(self, query) -> list[RegistrationView]:  # type: ignore[no-untyped-def]
        vault = self.store.vault
        with self.store.read() as session:
            rows = session.exec(query).all()
        views = []
        for reg_id, kind, unit, name_sealed, sex, doc_type, doc_masked, phone_sealed, arrived, expected, departed in rows:
            phone = vault.open(phone_sealed, "person.phone")
            views.append(RegistrationView(
                id=reg_id, kind=kind, unit=unit, name=self._name(name_sealed), sex=sex,
                doc_type=doc_type, doc_masked=doc_masked, phone_masked=mask_phone(phone) if phone else None,
                arrived_at=arrived, expected_departure=expected, departed_at=departed))
        return views

    def outbox_counts(self) -> dict[str, int]:
        """How many events stand in each delivery state (every state is listed, zero or not)."""
        return outbox_counts(self.store)

    def event_payload(self, event: Event) -> dict[str, Any]:
        """The decrypted wire `data` of an event."""
        plain = self.store.vault.open(event.payload_sealed, "event.payload")
        assert plain is not None
        return json.loads(plain)

    # -- inside transactions -----------------------------------------------------------------------

    def _unit(self, session: Session, venue_id: int, label: str) -> int:
        unit_id = self._units.get(label)
        if unit_id is None:
            unit_id = session.exec(select(Unit.id).where(Unit.venue_id == venue_id, Unit.label == label)).first()
            if unit_id is not None:
                self._units[label] = unit_id  # committed before this transaction: safe to remember
            else:
                unit_id = _insert(session, Unit, venue_id=venue_id, label=label)
        return unit_id

    def _upsert_person(self, session: Session, person: Mapping[str, Any], guardian: Mapping[str, Any] | None,
                       now: datetime) -> int:
        """The id of the person row for this document, created or brought up to date with what was entered."""
        vault = self.store.vault
        guardian_id = self._upsert_person(session, guardian, None, now) if guardian else None
        if person.get("doc_number"):
            index = vault.blind_index(person["doc_type"], person["doc_number"])
            masked = mask_document(person["doc_type"], person["doc_number"])
        else:
            # A child without a document is known by the guardian, its name and birth date.
            assert guardian_id is not None
            index = vault.blind_index("child", f"{guardian_id}|{person['name']}|{person.get('birth_date')}")
            masked = "-"
        values: dict[str, Any] = {
            "name_sealed": vault.seal(person["name"], "person.name"),
            "doc_number_sealed": vault.seal(person.get("doc_number"), "person.doc_number"),
            "updated_at": now,
        }
        for attr in ("sex", "ethnicity", "nationality"):
            if person.get(attr):
                values[attr] = person[attr]
        for key, attribute in _SEALED_PERSON_FIELDS:
            if person.get(key):
                values[attribute] = vault.seal(str(person[key]), f"person.{key}")
        if guardian_id is not None:
            values["guardian_id"] = guardian_id
        person_id = session.exec(select(Person.id).where(Person.doc_type == person["doc_type"],
                                                         Person.doc_index == index)).first()
        if person_id is None:
            return _insert(session, Person, doc_type=person["doc_type"], doc_index=index, doc_masked=masked,
                           created_at=now, **values)
        session.execute(update(Person).where(col(Person.id) == person_id).values(**values))
        return person_id

    def _record_event(self, session: Session, event_type: EventType, registration_id: int | None,
                      data: Mapping[str, Any], now: datetime) -> int:
        """Append an event and its outbox entry (the caller's transaction commits both or neither)."""
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
        seq = _insert(session, Event, event_id=str(uuid.uuid4()), type=event_type.value,
                      registration_id=registration_id, occurred_at=now,
                      payload_sealed=self.store.vault.seal(payload, "event.payload"), operator=self.operator,
                      created_at=now)
        _insert(session, OutboxEntry, event_seq=seq, state=OutboxState.PENDING.value, updated_at=now)
        return seq


def _insert(session: Session, table: type[SQLModel], **values: Any) -> int:
    """Insert one row with the table's one Core INSERT (compiled once, parameters per call); return its key."""
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table.__table__)  # type: ignore[attr-defined]
    result = session.connection().execute(statement, values)
    return result.inserted_primary_key[0]  # type: ignore[index]


_INSERTS: dict[type[SQLModel], Any] = {}


def _day_start(day: date, days: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TIME) + timedelta(days=days)

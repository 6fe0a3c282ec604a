"""The register's writes inside one transaction: rows, their event, its outbox entry, its audit entry.

Every change the register makes goes through a `Ledger`, so each one writes its event in the
append-only log, the event's outbox entry and its audit entry in the same transaction as the rows: the
platform can never miss a change the venue sees, never hear of one the venue lost, and the trail never
misses an action. The checks that need the store (no second open stay of a person at the venue) run
here too, inside the transaction, so two desks cannot both pass them. On PostgreSQL, whose READ
COMMITTED transactions would both see "not present" and both insert, a registration first takes
advisory locks named by the person's blind index (and the guardian's, and the unit's label).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import insert, update
from sqlmodel import Session, SQLModel, col, select

from agent.domain import (
    CHINA_TIME,
    REGISTRATION_KIND_OF_VENUE,
    EventType,
    OutboxState,
    VenueKind,
)
from agent.domain.errors import DiskFull
from agent.domain.event_ids import new_event_id
from agent.forms.templates import load_template
from agent.register.records import Outcome, iso
from agent.store import audit
from agent.store.database import Store, lock
from agent.store.models import Event, OutboxEntry, Person, Registration, Unit, Venue
from agent.validation import Problem
from agent.validation.arrival_rules import ADULT_AGE, VenueRules, age_on
from agent.validation.documents import mask_document
from agent.validation.registration import (
    CheckedRegistration,
    check_departure,
    check_registration,
)
from agent.validation.stay_events import check_late_departure
from agent.validation.venue import venue_rules_of

# Optional personal fields of the payload and the sealed column that keeps each.
_SEALED_PERSON_FIELDS = (
    ("birth_date", "birth_date_sealed"),
    ("address", "address_sealed"),
    ("phone", "phone_sealed"),
    ("residence_permit_number", "residence_permit_sealed"),
)

NOT_REJECTED = Problem("correction.not_rejected", "这条记录没有被平台退回（或已经改正过）",
                       "this event was not rejected by the platform (or was already corrected)")


class Refused(Exception):
    """Raised inside a write transaction to roll it back with a problem for the operator."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class Admitted(NamedTuple):
    """A registration that passed the checks that need no transaction: its normalised data, the venue's
    id and kind, and the warnings to show with the outcome."""

    data: dict[str, Any]
    venue: tuple[int, str]
    warnings: list[Problem]


class Ledger:
    """Writes a venue's rows with their events; `operator` names who acts in every event and audit entry."""

    def __init__(self, store: Store, operator: str, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.operator = operator
        self.now = clock or (lambda: datetime.now(UTC))
        # Look-ups that do not change once committed; kept to spare each registration a query.
        self._venue: tuple[int, str] | None = None
        self._rules: VenueRules | None = None
        self._units: dict[str, int] = {}

    def venue_info(self) -> tuple[int, str] | None:
        """The venue's id and kind, or None before `dengji init`; read once (a venue is set up once, and
        `forget_venue` is called when it changes)."""
        if self._venue is None:
            with self.store.read() as session:
                venue = session.exec(select(Venue)).first()
            if venue is not None and venue.id is not None:
                self._venue = (venue.id, venue.kind)
                self._rules = VenueRules(*venue_rules_of(venue.subtype, venue.jurisdiction))
        return self._venue

    def venue_rules(self) -> VenueRules:
        """What the validator needs to know of the venue (its subtype, its jurisdiction)."""
        self.venue_info()
        return self._rules or VenueRules()

    def forget_venue(self) -> None:
        self._venue = None
        self._rules = None

    def admit(self, payload: Mapping[str, Any] | CheckedRegistration, now: datetime, *,
              new_arrival: bool = False) -> Outcome | Admitted:
        """The checks that need no transaction: the shared validator (unless `payload` is its result
        already, made for this venue), a venue, the venue kind's form. With `new_arrival` the
        registration deadline is judged too (registered now). A refusal comes back as an Outcome."""
        rules = self.venue_rules()
        registered_at = now if new_arrival else None
        if isinstance(payload, CheckedRegistration):
            if not payload.genuine:
                return Outcome(None, [Problem("registration.unchecked", "这条登记没有经过检查，不能保存",
                                              "this registration was not checked: it cannot be saved")])
            checked = payload
            if checked.data is not None and (checked.venue != rules or (new_arrival and not checked.late_checked)):
                # checked for another venue, or not as a new arrival: the rules it missed run now
                checked = check_registration(checked.data, now=now, venue=rules, registered_at=registered_at)
        else:
            checked = check_registration(payload, now=now, venue=rules, registered_at=registered_at)
        errors = [p for p in checked.problems if p.severity == "error"]
        if errors or checked.data is None:
            return Outcome(None, checked.problems)
        venue = self.venue_info()
        if venue is None:
            return Outcome(None, [Problem("venue.missing", "还没有设置场所，请先运行 dengji init",
                                          "no venue is set up yet: run `dengji init` first")])
        # The venue kind's form says what else it must record (a landlord: lease end, phone, ...).
        missing = load_template(venue[1]).missing(checked.data)
        if missing:
            return Outcome(None, missing)
        return Admitted(checked.data, venue, list(checked.problems))

    def outcome(self, work: Callable[[Session], int]) -> Outcome:
        """Run one write transaction; a refusal (or a full disk) as an Outcome, with nothing written."""
        try:
            return Outcome(self.store.write(work))
        except Refused as refused:
            return Outcome(None, [refused.problem])
        except DiskFull as full:
            return Outcome(None, [full.problem])

    # -- inside transactions -------------------------------------------------------------------------

    def write_registration(self, session: Session, admitted: Admitted, now: datetime) -> int:
        """Write an admitted arrival: its person, its registration row and its `registered` event."""
        data, venue, _ = admitted
        person_id = self.person_for(session, venue, data, now, None)
        self.check_companions(session, venue[0], data)
        reg_id = insert_row(session, Registration, venue_id=venue[0], person_id=person_id,
                            **self.registration_values(session, venue[0], data), created_at=now, updated_at=now)
        self.record_event(session, EventType.REGISTERED, reg_id, {**data, "registration_id": str(reg_id)}, now)
        return reg_id

    def person_for(self, session: Session, venue: tuple[int, str], data: Mapping[str, Any], now: datetime,
                   registration_id: int | None) -> int:
        """The person row for a registration's data, refusing a wrong kind or a second open stay (other
        than `registration_id`, the one being corrected)."""
        venue_id, venue_kind = venue
        expected_kind = REGISTRATION_KIND_OF_VENUE[VenueKind(venue_kind)]
        if data["kind"] != expected_kind:
            raise Refused(Problem(
                "registration.kind_mismatch",
                f"本场所只能登记 {expected_kind}，不能登记 {data['kind']}",
                f"this venue registers {expected_kind}, not {data['kind']}", "kind"))
        lock(session, *self._lock_names(data))
        person_id = self._upsert_person(session, data["person"], data.get("guardian"), now)
        others = select(Registration.id).where(
            Registration.venue_id == venue_id, Registration.person_id == person_id,
            col(Registration.departed_at).is_(None), col(Registration.cancelled_at).is_(None))
        if registration_id is not None:
            others = others.where(Registration.id != registration_id)
        open_reg = session.exec(others).first()
        if open_reg is not None:
            raise Refused(Problem(
                "registration.already_present",
                f"此人已在本场所登记（登记号 {open_reg}），请先办理离开",
                f"this person is already registered here (registration {open_reg}); record the departure first",
                "person.doc_number"))
        return person_id

    def registration_values(self, session: Session, venue_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """A registration row's columns from its normalised data."""
        return {"unit_id": self._unit(session, venue_id, data["unit"]), "kind": data["kind"],
                "arrived_at": datetime.fromisoformat(data["arrived_at"]),
                "expected_departure": _expected_departure(data.get("expected_departure")),
                "departed_at": _parse_time(data.get("departed_at")), "position": data.get("position"),
                "lodges_on_site": data.get("lodges_on_site"), "reason": data.get("reason"),
                "flags": " ".join(data["flags"]) if data.get("flags") else None}

    def check_companions(self, session: Session, venue_id: int, data: Mapping[str, Any]) -> None:
        """Refuse a minor's registration whose companions are not adults present in the same unit (checked
        in the transaction: a companion registered earlier in it, as in a family's check-in, counts).
        A companion is named by document number only: it matches a present person by the blind index of
        that number under the person's own document type. Messages name the companion by position."""
        companions = data.get("companions")
        if not companions:
            return
        present = session.exec(
            select(Person.doc_type, Person.doc_index, Person.birth_date_sealed, Person.id)
            .join(Registration, col(Registration.person_id) == Person.id)
            .join(Unit, col(Unit.id) == Registration.unit_id)
            .where(Registration.venue_id == venue_id, Unit.label == data["unit"],
                   col(Registration.departed_at).is_(None), col(Registration.cancelled_at).is_(None))).all()
        arrival_day = datetime.fromisoformat(data["arrived_at"]).astimezone(CHINA_TIME).date()
        vault = self.store.vault
        for index, companion in enumerate(companions):
            path = f"companions.{index}.doc_number"
            match = next((row for row in present if row[1] is not None
                          and vault.blind_index(row[0], companion["doc_number"]) == row[1]), None)
            if match is None:
                raise Refused(Problem(
                    "registration.companion_not_present",
                    f"第 {index + 1} 位同住人员不在房间 {data['unit']} 登记入住：请先为其登记（或一同登记）",
                    f"companion {index + 1} is not checked in to unit {data['unit']}: register them first "
                    "(or in the same check-in)", path))
            born = vault.open(match[2], "person.birth_date", match[3]) if match[2] else None
            if born and age_on(born, arrival_day) < ADULT_AGE:
                raise Refused(Problem(
                    "registration.companion_minor",
                    f"第 {index + 1} 位同住人员未满18周岁，不能作为陪同的成年人",
                    f"companion {index + 1} is under 18 and cannot be the accompanying adult", path))

    def write_departure(self, session: Session, reg: Registration, departed_at: datetime, now: datetime,
                        late_reason: str | None = None) -> None:
        """Check the departure against the arrival and the clock (one recorded more than 72 hours after
        it happened needs `late_reason`), then write it and its event (a new departure, or the corrected
        time of a rejected one)."""
        problems = check_departure(reg.arrived_at, departed_at, now)
        reason, late = check_late_departure(departed_at, now, late_reason)
        if problems or late:
            raise Refused((problems or late)[0])
        reg.departed_at, reg.updated_at = departed_at, now
        session.add(reg)
        assert reg.id is not None
        data = {"registration_id": str(reg.id), "departed_at": departed_at.astimezone(CHINA_TIME).isoformat()}
        if reason is not None:
            data["late_reason"] = reason
        self.record_event(session, EventType.DEPARTED, reg.id, data, now)

    def retire(self, session: Session, seq: int, now: datetime) -> Event:
        """Mark a rejected event superseded, inside the transaction that writes its replacement; refuse
        one that is not (or no longer) rejected, so a correction made twice is not sent twice."""
        retired = session.execute(update(OutboxEntry).where(
            col(OutboxEntry.event_seq) == seq, OutboxEntry.state == OutboxState.REJECTED.value,
        ).values(state=OutboxState.SUPERSEDED.value, updated_at=now))
        event = session.get(Event, seq)
        if retired.rowcount != 1 or event is None:  # type: ignore[attr-defined]
            raise Refused(NOT_REJECTED)
        return event

    def record_event(self, session: Session, event_type: EventType, registration_id: int | None,
                     data: Mapping[str, Any], now: datetime) -> int:
        """Append an event, its outbox entry and its audit entry (the caller's transaction commits all
        three or none). Every event must be written here: `dengji audit verify` reports one without an
        entry."""
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
        sealed = self.store.vault.seal(payload, "event.payload")
        assert sealed is not None
        seq = insert_row(session, Event, event_id=new_event_id(), type=event_type.value,
                         registration_id=registration_id, occurred_at=now, payload_sealed=sealed,
                         operator=self.operator, created_at=now)
        insert_row(session, OutboxEntry, event_seq=seq, state=OutboxState.PENDING.value, updated_at=now)
        audit.append(session, action=event_type.value, operator=self.operator, at=now,
                     registration_id=registration_id, event_seq=seq, digest=audit.digest_of(sealed))
        return seq

    def event_payload(self, event: Event) -> dict[str, Any]:
        """The decrypted wire `data` of an event."""
        plain = self.store.vault.open(event.payload_sealed, "event.payload")
        assert plain is not None
        return json.loads(plain)

    def upsert_person(self, session: Session, person: Mapping[str, Any], now: datetime) -> int:
        """The person row for `person` (a visitor), created or brought up to date, holding its lock."""
        lock(session, "person " + self.store.vault.blind_index(person["doc_type"], person["doc_number"]))
        return self._upsert_person(session, person, None, now)

    def unit_id(self, session: Session, venue_id: int, label: str) -> int:
        """The unit's id (made on first use), holding its lock until the transaction ends."""
        lock(session, f"unit {label}")
        return self._unit(session, venue_id, label)

    def _lock_names(self, data: Mapping[str, Any]) -> list[str]:
        """What a registration must hold alone until it commits: the person (by blind index, never the
        number itself), the guardian (which covers a child known only by the guardian), and the unit
        (created on first use by whichever desk gets there first)."""
        names = [f"unit {data['unit']}"]
        for who in (data["person"], data.get("guardian")):
            if who and who.get("doc_number"):
                names.append("person " + self.store.vault.blind_index(who["doc_type"], who["doc_number"]))
        return names

    def _unit(self, session: Session, venue_id: int, label: str) -> int:
        unit_id = self._units.get(label)
        if unit_id is None:
            unit_id = session.exec(select(Unit.id).where(Unit.venue_id == venue_id, Unit.label == label)).first()
            if unit_id is not None:
                self._units[label] = unit_id  # committed before this transaction: safe to remember
            else:
                unit_id = insert_row(session, Unit, venue_id=venue_id, label=label)
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
        person_id = session.exec(select(Person.id).where(Person.doc_type == person["doc_type"],
                                                         Person.doc_index == index)).first()
        if person_id is None:
            # The row first: each sealed field is bound to its row's id (agent.store.vault).
            person_id = insert_row(session, Person, doc_type=person["doc_type"], doc_index=index, doc_masked=masked,
                                   created_at=now, name_sealed=b"", updated_at=now)
        values: dict[str, Any] = {
            "name_sealed": vault.seal(person["name"], "person.name", person_id),
            "doc_number_sealed": vault.seal(person.get("doc_number"), "person.doc_number", person_id),
            "updated_at": now,
        }
        for attr in ("sex", "ethnicity", "nationality"):
            if person.get(attr):
                values[attr] = person[attr]
        for key, attribute in _SEALED_PERSON_FIELDS:
            if person.get(key):
                values[attribute] = vault.seal(str(person[key]), f"person.{key}", person_id)
        if guardian_id is not None:
            values["guardian_id"] = guardian_id
        session.execute(update(Person).where(col(Person.id) == person_id).values(**values))
        return person_id


def not_found(registration_id: int) -> Refused:
    """The refusal for a registration number that names no (uncancelled) registration."""
    return Refused(Problem("registration.not_found", f"没有登记号为 {registration_id} 的登记",
                           f"there is no registration {registration_id}", "registration_id"))


def already_departed(reg: Registration) -> Refused:
    """The refusal for a second departure of the same stay."""
    return Refused(Problem("registration.already_departed",
                           f"登记 {reg.id} 已于 {iso(reg.departed_at)} 离开",
                           f"registration {reg.id} already departed at {iso(reg.departed_at)}", "registration_id"))


def insert_row(session: Session, table: type[SQLModel], **values: Any) -> int:
    """Insert one row with the table's one Core INSERT (compiled once, parameters per call); return its key.

    Core statements rather than ORM objects: this is the hot path of every registration, and the
    unit-of-work machinery cost more than the fsync of the commit (see bench/store_figures.py)."""
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table.__table__)  # type: ignore[attr-defined]
    result = session.connection().execute(statement, values)
    return result.inserted_primary_key[0]  # type: ignore[index]


_INSERTS: dict[type[SQLModel], Any] = {}


def day_start(day: date, days: int = 0) -> datetime:
    """Midnight at the venue that begins `day` (plus `days`)."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TIME) + timedelta(days=days)


def _expected_departure(value: str | None) -> datetime | None:
    """The column's value: a stay's time as sent; a lease's end (a day, `YYYY-MM-DD`) kept as the start
    of that day, the column being a time. Everything that reads it back for a tenancy or an employment
    (views, reminders) takes only the day (`RegistrationView.expected_departure_day`)."""
    if value and len(value) == 10:
        return day_start(date.fromisoformat(value))
    return _parse_time(value)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None

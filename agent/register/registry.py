"""The venue's register: the agent API that the CLI and the TUI call.

Every change to a registration is ONE write transaction that writes the row, its event in the
append-only log, the event's outbox entry and its entry in the audit trail (`agent.store.audit`), so the
platform can never miss a change that the venue sees, never hear of one the venue lost, and the trail
never misses an action. Each action is attributed to the registry's `operator`. Input is checked first by the same validator the platform
runs (`agent.validation.registration`); rules that need the store (no second open stay of a person at
the venue) are checked inside the transaction, so two desks or two processes cannot both pass the
check. On SQLite the transaction holds the database's write lock. On PostgreSQL, whose READ COMMITTED
transactions would both see "not present" and both insert, a registration first takes advisory locks
named by the person's blind index (and the guardian's, and the unit's label): two desks registering the
same person take turns, and the second sees the first one's stay. A departure locks its row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
from agent.duties.permit_checks import PermitCheckResult, permit_checks
from agent.duties.reminders import Reminder, due_reminders
from agent.forms.templates import load_template
from agent.register.accounts import Accounts
from agent.register.delivery import DeliveryState, delivery_state, outbox_counts
from agent.register.search import find
from agent.store import audit
from agent.store.database import Store, lock
from agent.store.models import (
    Event,
    Meta,
    OutboxEntry,
    Person,
    Registration,
    Unit,
    Venue,
)
from agent.validation import InvalidDocument, Problem
from agent.validation.datetimes import parse_datetime
from agent.validation.documents import mask_document
from agent.validation.phone import mask as mask_phone
from agent.validation.registration import CheckedRegistration, check_departure, check_registration
from agent.validation.venue import VenueDetails

PURGED_NAME = "已清除 purged"  # what lists show for a person whose data the retention purge erased


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
    purged: bool = False  # retention erased its events' payloads (and the person's data, if nothing kept it)

    @property
    def present(self) -> bool:
        return self.departed_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "unit": self.unit, "name": self.name, "sex": self.sex,
            "doc_type": self.doc_type, "doc_number": self.doc_masked, "phone": self.phone_masked,
            "arrived_at": _iso(self.arrived_at), "expected_departure": _iso(self.expected_departure),
            "departed_at": _iso(self.departed_at), "present": self.present, "purged": self.purged,
        }


@dataclass(frozen=True)
class Rejection:
    """An event the platform refused, with its reason, until it is corrected or sent again."""

    seq: int
    event_id: str
    type: str
    registration_id: int | None
    occurred_at: datetime
    code: str
    zh: str
    en: str
    rejected_at: datetime
    unit: str | None
    name: str | None

    @property
    def editable(self) -> bool:
        """Whether a correction takes new content (a registration or a departure time), not only a resend."""
        return self.registration_id is not None and (self.type in _REGISTERING
                                                     or self.type == EventType.DEPARTED.value)

    def reason(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "event_id": self.event_id, "type": self.type,
                "registration_id": self.registration_id, "occurred_at": _iso(self.occurred_at),
                "rejected_at": _iso(self.rejected_at), "code": self.code, "zh": self.zh, "en": self.en,
                "unit": self.unit, "name": self.name}


NO_ARRIVALS_META_KEY = "no_arrivals.settled"  # the last day whose daily report was decided
NO_ARRIVALS_CATCH_UP = 31  # days a machine switched off for weeks catches up on

_REGISTERING = frozenset({EventType.REGISTERED.value, EventType.UPDATED.value, EventType.CORRECTED.value})


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(CHINA_TIME).isoformat(timespec="minutes") if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _problem(code: str, zh: str, en: str, field_name: str | None = None) -> Problem:
    return Problem(code, zh, en, field_name)


def _disk_full() -> Problem:
    """A record refused because the disk is full: its transaction rolled back, so nothing was written."""
    return DiskFull().problem


# Optional personal fields of the payload and the sealed column that keeps each.
_SEALED_PERSON_FIELDS = (
    ("birth_date", "birth_date_sealed"),
    ("address", "address_sealed"),
    ("phone", "phone_sealed"),
    ("residence_permit_number", "residence_permit_sealed"),
)


_NOT_REJECTED = Problem("correction.not_rejected", "这条记录没有被平台退回（或已经改正过）",
                        "this event was not rejected by the platform (or was already corrected)")


class _Refused(Exception):
    """Raised inside a write transaction to roll it back with a problem for the operator."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _DryRun(Exception):
    """Raised at the end of a dry-run transaction so that it rolls back."""

    def __init__(self, registration_id: int) -> None:
        self.registration_id = registration_id


class _Candidate(NamedTuple):
    """A registration as the search rule sees it."""

    id: int
    name: str
    unit: str
    doc_masked: str


class Registry:
    """Register arrivals and departures at the store's venue and answer who is here."""

    def __init__(self, store: Store, operator: str = "owner", clock: Callable[[], datetime] | None = None) -> None:
        """`operator` is who acts: every event and audit entry this registry writes names them."""
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

    def set_venue(self, details: VenueDetails) -> Venue:
        """Create or replace the venue's details (one venue per store); check them first (`check_venue`)."""
        values = {"kind": VenueKind(details.kind).value, "name": details.name, "address": details.address,
                  "police_station": details.police_station, "agreement_no": details.agreement_no,
                  "rental_filing_no": details.rental_filing_no, "credit_code": details.credit_code}

        def work(session: Session) -> Venue:
            venue_row = session.exec(select(Venue)).first()
            if venue_row is None:
                venue_row = Venue(created_at=self._clock(), **values)
            else:
                for name, value in values.items():
                    setattr(venue_row, name, value)
            session.add(venue_row)
            session.flush()
            audit.append(session, action=audit.VENUE, operator=self.operator, at=self._clock(),
                         detail={"kind": venue_row.kind})
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

    def register(self, payload: Mapping[str, Any] | CheckedRegistration, *, dry_run: bool = False) -> Outcome:
        """Register one arrival; a refused record writes nothing.

        `payload` is what was typed (checked here), or the shared validator's result for it when the
        caller has just checked it (the TUI's form): then it is not checked a second time.
        With `dry_run`, every check runs, the store's included, and the transaction is rolled back:
        the outcome's id is the one the record would have had.
        """
        now = self._clock()
        checked = self._check(payload, now)
        if isinstance(checked, Outcome):
            return checked
        data, venue, warnings = checked

        def work(session: Session) -> int:
            reg_id = self._register(session, venue, data, now)
            if dry_run:
                raise _DryRun(reg_id)
            return reg_id

        try:
            reg_id = self.store.write(work)
        except _Refused as refused:
            return Outcome(None, [refused.problem])
        except DiskFull:
            return Outcome(None, [_disk_full()])
        except _DryRun as done:
            reg_id = done.registration_id
        return Outcome(reg_id, warnings)

    def _check(self, payload: Mapping[str, Any] | CheckedRegistration, now: datetime
               ) -> Outcome | tuple[dict[str, Any], tuple[int, str], list[Problem]]:
        """The checks that need no transaction: the shared validator (unless `payload` is its result
        already), a venue, the venue kind's form. A refusal as an Outcome; else the normalised data, the
        venue, and the warnings."""
        if isinstance(payload, CheckedRegistration):
            if not payload.genuine:
                return Outcome(None, [_problem("registration.unchecked", "这条登记没有经过检查，不能保存",
                                               "this registration was not checked: it cannot be saved")])
            checked = payload
        else:
            checked = check_registration(payload, now=now)
        errors = [p for p in checked.problems if p.severity == "error"]
        if errors or checked.data is None:
            return Outcome(None, checked.problems)
        venue = self._venue_info()
        if venue is None:
            return Outcome(None, [_problem("venue.missing", "还没有设置场所，请先运行 dengji init",
                                           "no venue is set up yet: run `dengji init` first")])
        # The venue kind's form says what else it must record (a landlord: lease end, phone, ...).
        missing = load_template(venue[1]).missing(checked.data)
        if missing:
            return Outcome(None, missing)
        return checked.data, venue, list(checked.problems)

    def _register(self, session: Session, venue: tuple[int, str], data: dict[str, Any], now: datetime) -> int:
        # Core statements rather than ORM objects: this is the hot path of every registration, and the
        # unit-of-work machinery cost more than the fsync of the commit (see bench/store_figures.py).
        person_id = self._person_for(session, venue, data, now, None)
        reg_id = _insert(session, Registration, venue_id=venue[0], person_id=person_id,
                         **self._registration_values(session, venue[0], data), created_at=now, updated_at=now)
        self._record_event(session, EventType.REGISTERED, reg_id, {**data, "registration_id": str(reg_id)}, now)
        return reg_id

    def _person_for(self, session: Session, venue: tuple[int, str], data: Mapping[str, Any], now: datetime,
                    registration_id: int | None) -> int:
        """The person row for a registration's data, refusing a wrong kind or a second open stay (other
        than `registration_id`, the one being corrected)."""
        venue_id, venue_kind = venue
        expected_kind = REGISTRATION_KIND_OF_VENUE[VenueKind(venue_kind)]
        if data["kind"] != expected_kind:
            raise _Refused(_problem(
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
            raise _Refused(_problem(
                "registration.already_present",
                f"此人已在本场所登记（登记号 {open_reg}），请先办理离开",
                f"this person is already registered here (registration {open_reg}); record the departure first",
                "person.doc_number"))
        return person_id

    def _registration_values(self, session: Session, venue_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """A registration row's columns from its normalised data."""
        return {"unit_id": self._unit(session, venue_id, data["unit"]), "kind": data["kind"],
                "arrived_at": datetime.fromisoformat(data["arrived_at"]),
                "expected_departure": _parse_time(data.get("expected_departure")),
                "departed_at": _parse_time(data.get("departed_at")), "position": data.get("position"),
                "lodges_on_site": data.get("lodges_on_site"), "reason": data.get("reason")}

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
            self._write_departure(session, reg, departed_at, now)
            return registration_id

        return self._outcome(work)

    # -- the daily report -----------------------------------------------------------------------------

    def report_no_arrivals(self, now: datetime | None = None) -> list[date]:
        """Queue the daily "nobody new arrived" report (无入住上报) for every finished day since the last
        one settled, for venues that owe it (hotels, overnight venues); the days reported.

        A day is settled once it has ended: it gets a report if no one arrived that day, nothing
        otherwise. Days missed while the machine was off are caught up (at most `NO_ARRIVALS_CATCH_UP`
        days back, and never before the venue was set up). Run twice, it reports nothing twice: the
        last settled day is kept in the store, in the same transaction as the reports.
        """
        now = now or self._clock()
        venue = self.venue()
        if venue is None or venue.kind not in (VenueKind.HOTEL.value, VenueKind.OVERNIGHT.value):
            return []
        yesterday = now.astimezone(CHINA_TIME).date() - timedelta(days=1)
        first = max(venue.created_at.astimezone(CHINA_TIME).date(), yesterday - timedelta(days=NO_ARRIVALS_CATCH_UP - 1))

        def work(session: Session) -> list[date]:
            settled = session.get(Meta, NO_ARRIVALS_META_KEY)
            start = max(first, date.fromisoformat(settled.value.decode()) + timedelta(days=1)) if settled else first
            if start > yesterday:
                return []
            arrivals = {moment.astimezone(CHINA_TIME).date() for moment in session.exec(
                select(Registration.arrived_at).where(Registration.arrived_at >= _day_start(start),
                                                      Registration.arrived_at < _day_start(yesterday, days=1),
                                                      col(Registration.cancelled_at).is_(None)))}
            reported = []
            day = start
            while day <= yesterday:
                if day not in arrivals:
                    self._record_event(session, EventType.NO_ARRIVALS, None, {"date": day.isoformat()}, now)
                    reported.append(day)
                day += timedelta(days=1)
            row = settled or Meta(key=NO_ARRIVALS_META_KEY, value=b"")
            row.value = yesterday.isoformat().encode()
            session.add(row)
            return reported

        return self.store.write(work)

    def last_no_arrivals_report(self) -> tuple[date, str] | None:
        """The latest daily report queued: its day and its delivery state (pending, sent, ...)."""
        with self.store.read() as session:
            row = session.exec(select(Event, OutboxEntry.state).join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq)
                               .where(Event.type == EventType.NO_ARRIVALS.value)
                               .order_by(col(Event.seq).desc())).first()
        if row is None:
            return None
        event, state = row
        return date.fromisoformat(self.event_payload(event)["date"]), state

    # -- what the platform refused ------------------------------------------------------------------

    def rejections(self) -> list[Rejection]:
        """Every event the platform refused and that has not been corrected or sent again, oldest first."""
        query = (select(Event.seq, Event.event_id, Event.type, Event.registration_id, Event.occurred_at,
                        OutboxEntry.reject_code, OutboxEntry.reject_zh, OutboxEntry.reject_en, OutboxEntry.updated_at,
                        Unit.label, Person.name_sealed, Person.id)
                 .join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq)
                 .outerjoin(Registration, col(Registration.id) == Event.registration_id)
                 .outerjoin(Unit, col(Unit.id) == Registration.unit_id)
                 .outerjoin(Person, col(Person.id) == Registration.person_id)
                 .where(OutboxEntry.state == OutboxState.REJECTED.value)
                 .order_by(col(Event.seq)))
        with self.store.read() as session:
            rows = session.exec(query).all()
        return [Rejection(seq=seq, event_id=event_id, type=kind, registration_id=reg_id, occurred_at=occurred,
                          code=code or "", zh=zh or "", en=en or "", rejected_at=rejected_at, unit=unit,
                          name=self.name_of(name_sealed, person_id) if name_sealed else None)
                for seq, event_id, kind, reg_id, occurred, code, zh, en, rejected_at, unit, name_sealed, person_id
                in rows]

    def rejected_data(self, seq: int) -> dict[str, Any] | None:
        """What a rejected event said (its wire `data`, decrypted), to fill the form that corrects it."""
        with self.store.read() as session:
            event = session.get(Event, seq)
            entry = session.get(OutboxEntry, seq)
        if event is None or entry is None or entry.state != OutboxState.REJECTED.value:
            return None
        return self.event_payload(event)

    def correct(self, seq: int, payload: Mapping[str, Any] | CheckedRegistration) -> Outcome:
        """Correct a rejected event: one transaction changes the registration, writes a new event that
        says what it corrects, and retires the rejected one, which is never sent again.

        A rejected registration (or update, or correction) takes a registration payload, checked like a
        new one, and becomes a `correction` event; a rejected departure takes `{"departed_at": ...}`.
        Events of the same registration that the platform refused only because it did not know the
        registration yet (`registration.unknown`, e.g. the departure of a stay it had refused) are sent
        again after the correction, in the same transaction.
        """
        now = self._clock()
        with self.store.read() as session:
            event = session.get(Event, seq)
        if event is None or event.registration_id is None:
            return Outcome(None, [_NOT_REJECTED])
        registration_id = event.registration_id
        if event.type == EventType.DEPARTED.value:
            if isinstance(payload, CheckedRegistration):
                return Outcome(None, [_problem("correction.not_a_departure", "被退回的是离开记录：请更正离开时间",
                                               "what was rejected is a departure: correct its time")])
            try:
                departed_at = parse_datetime(payload.get("departed_at") or "")
            except InvalidDocument as bad:
                return Outcome(None, [bad.problem.at("departed_at")])

            def redepart(session: Session) -> int:
                self._retire(session, seq, now)
                reg = session.get(Registration, registration_id)
                assert reg is not None
                self._write_departure(session, reg, departed_at, now)
                return registration_id

            return self._outcome(redepart)
        if event.type not in _REGISTERING:
            return Outcome(None, [_problem("correction.not_editable", "这类事件不能修改，只能重新上报",
                                           "this kind of event cannot be edited, only sent again")])
        checked = self._check(payload, now)
        if isinstance(checked, Outcome):
            return checked
        data, venue, warnings = checked

        def rewrite(session: Session) -> int:
            self._retire(session, seq, now)
            person_id = self._person_for(session, venue, data, now, registration_id)
            session.execute(update(Registration).where(col(Registration.id) == registration_id).values(
                person_id=person_id, **self._registration_values(session, venue[0], data), updated_at=now))
            self._record_event(session, EventType.CORRECTED, registration_id,
                               {**data, "registration_id": str(registration_id), "corrects": event.event_id}, now)
            self._resend_unknown(session, registration_id, now)
            return registration_id

        outcome = self._outcome(rewrite)
        return Outcome(outcome.registration_id, outcome.problems or warnings)

    def resend(self, seq: int) -> Outcome:
        """Send a rejected event again, unchanged, as a new event: for a refusal whose cause was put
        right elsewhere (the unit filed at the police station, the registration corrected)."""
        now = self._clock()

        def again(session: Session) -> int:
            event = self._retire(session, seq, now)
            if event.registration_id is None:
                raise _Refused(_NOT_REJECTED)
            self._record_event(session, EventType(event.type), event.registration_id, self.event_payload(event), now)
            return event.registration_id

        return self._outcome(again)

    def _outcome(self, work: Callable[[Session], int]) -> Outcome:
        """Run one write transaction; a refusal (or a full disk) as an Outcome, with nothing written."""
        try:
            return Outcome(self.store.write(work))
        except _Refused as refused:
            return Outcome(None, [refused.problem])
        except DiskFull:
            return Outcome(None, [_disk_full()])

    def _retire(self, session: Session, seq: int, now: datetime) -> Event:
        """Mark a rejected event superseded, inside the transaction that writes its replacement; refuse
        one that is not (or no longer) rejected, so a correction made twice is not sent twice."""
        retired = session.execute(update(OutboxEntry).where(
            col(OutboxEntry.event_seq) == seq, OutboxEntry.state == OutboxState.REJECTED.value,
        ).values(state=OutboxState.SUPERSEDED.value, updated_at=now))
        event = session.get(Event, seq)
        if retired.rowcount != 1 or event is None:  # type: ignore[attr-defined]
            raise _Refused(_NOT_REJECTED)
        return event

    def _resend_unknown(self, session: Session, registration_id: int, now: datetime) -> None:
        waiting = session.exec(
            select(Event).join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq)
            .where(Event.registration_id == registration_id, OutboxEntry.state == OutboxState.REJECTED.value,
                   OutboxEntry.reject_code == "registration.unknown")
            .order_by(col(Event.seq))).all()
        for event in waiting:
            assert event.seq is not None
            self._retire(session, event.seq, now)
            self._record_event(session, EventType(event.type), registration_id, self.event_payload(event), now)

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
        """Find by name (any part), by unit, or by the last digits of the document number: the rule of
        `agent.register.search`, which the TUI applies as the operator types.

        Names are encrypted, so they are matched over the decrypted names of the candidates; each
        decrypted name is remembered by its ciphertext (a changed name is a new ciphertext), so repeated
        searches decrypt each name once. Full views are built for the matches only.
        """
        if not text.strip():
            return self.registrations(present_only=present_only)
        candidates = (select(Registration.id, Person.name_sealed, Person.doc_masked, Unit.label, Person.id)
                      .join(Person, col(Person.id) == Registration.person_id)
                      .join(Unit, col(Unit.id) == Registration.unit_id)
                      .where(col(Registration.cancelled_at).is_(None))
                      .order_by(col(Registration.arrived_at).desc(), col(Registration.id).desc()))  # as the lists
        if present_only:
            candidates = candidates.where(col(Registration.departed_at).is_(None))
        with self.store.read() as session:
            rows = session.exec(candidates).all()
        found = find([_Candidate(reg_id, self.name_of(name_sealed, person_id), unit, masked)
                      for reg_id, name_sealed, masked, unit, person_id in rows], text)
        if not found:
            return []
        ids = [c.id for c in found]
        views = {v.id: v for v in self._views(self._view_query().where(col(Registration.id).in_(ids)))}
        return [views[i] for i in ids]

    def name_of(self, sealed: bytes, person_id: int) -> str:
        """A sealed name in clear (sealed in person `person_id`'s row), each ciphertext decrypted once
        (lists and searches repeat them)."""
        if not sealed:
            return ""  # erased by the retention purge
        name = self._names.get(sealed)
        if name is None:
            name = self.store.vault.open(sealed, "person.name", person_id) or ""
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
                       Registration.expected_departure, Registration.departed_at, Person.purged_at,
                       Registration.purged_at, Person.id)
                .join(Person, col(Person.id) == Registration.person_id)
                .join(Unit, col(Unit.id) == Registration.unit_id)
                .where(col(Registration.cancelled_at).is_(None))
                .order_by(col(Registration.arrived_at).desc(), col(Registration.id).desc()))

    def _views(self, query) -> list[RegistrationView]:  # type: ignore[no-untyped-def]
        vault = self.store.vault
        with self.store.read() as session:
            rows = session.exec(query).all()
        views = []
        for (reg_id, kind, unit, name_sealed, sex, doc_type, doc_masked, phone_sealed, arrived, expected, departed,
             person_purged, reg_purged, person_id) in rows:
            phone = vault.open(phone_sealed, "person.phone", person_id)
            views.append(RegistrationView(
                id=reg_id, kind=kind, unit=unit,
                name=PURGED_NAME if person_purged else self.name_of(name_sealed, person_id),
                sex=sex, doc_type=doc_type, doc_masked=doc_masked, phone_masked=mask_phone(phone) if phone else None,
                arrived_at=arrived, expected_departure=expected, departed_at=departed,
                purged=reg_purged is not None))
        return views

    # -- what the desk sees besides the register -------------------------------------------------------

    @property
    def accounts(self) -> Accounts:
        """The operator accounts: who may log in, checking a PIN, the first owner, changing a PIN."""
        return Accounts(self)

    def reminders(self, now: datetime) -> list[Reminder]:
        """The venue's duties due at `now` (`agent.duties.reminders`)."""
        return due_reminders(self.store, now)

    def delivery_state(self) -> DeliveryState:
        """What waits to be sent, what was sent or refused, as the store last recorded it."""
        return delivery_state(self.store)

    def permit_checks(self, registration_id: int) -> list[PermitCheckResult]:
        """The residence-permit checks (一证通) made for a registration, newest first."""
        return permit_checks(self.store, registration_id)

    def outbox_counts(self) -> dict[str, int]:
        """How many events stand in each delivery state (every state is listed, zero or not)."""
        return outbox_counts(self.store)

    def record_action(self, action: str, *, registration_id: int | None = None, digest: str | None = None,
                      detail: audit.Detail | None = None) -> int:
        """Enter an action that writes nothing else to the store (an export, a look at one person, a
        setting kept outside the store) in the audit trail, attributed to this registry's operator."""
        return audit.record(self.store, action=action, operator=self.operator, at=self._clock(),
                            registration_id=registration_id, digest=digest, detail=detail)

    def record_inspection(self, registration_id: int) -> int:
        """Enter a look at one person's full record in the audit trail (the TUI's person screen)."""
        return self.record_action(audit.INSPECT, registration_id=registration_id)

    def record_setting(self, name: str, value: str | int | None) -> int:
        """Enter a setting kept outside the store (the platform's address, the idle lock) in the audit trail."""
        return self.record_action(audit.SETTING, detail={"name": name, "value": value})

    def event_payload(self, event: Event) -> dict[str, Any]:
        """The decrypted wire `data` of an event."""
        plain = self.store.vault.open(event.payload_sealed, "event.payload")
        assert plain is not None
        return json.loads(plain)

    # -- inside transactions -----------------------------------------------------------------------

    def _write_departure(self, session: Session, reg: Registration, departed_at: datetime, now: datetime) -> None:
        """Check the departure against the arrival and the clock, then write it and its event (a new
        departure, or the corrected time of a rejected one)."""
        problems = check_departure(reg.arrived_at, departed_at, now)
        if problems:
            raise _Refused(problems[0])
        reg.departed_at, reg.updated_at = departed_at, now
        session.add(reg)
        assert reg.id is not None
        self._record_event(session, EventType.DEPARTED, reg.id,
                           {"registration_id": str(reg.id),
                            "departed_at": departed_at.astimezone(CHINA_TIME).isoformat()}, now)

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
        person_id = session.exec(select(Person.id).where(Person.doc_type == person["doc_type"],
                                                         Person.doc_index == index)).first()
        if person_id is None:
            # The row first: each sealed field is bound to its row's id (agent.store.vault).
            person_id = _insert(session, Person, doc_type=person["doc_type"], doc_index=index, doc_masked=masked,
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

    def _record_event(self, session: Session, event_type: EventType, registration_id: int | None,
                      data: Mapping[str, Any], now: datetime) -> int:
        """Append an event, its outbox entry and its audit entry (the caller's transaction commits all
        three or none). Every event must be written here: `dengji audit verify` reports one without an
        entry."""
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
        sealed = self.store.vault.seal(payload, "event.payload")
        assert sealed is not None
        seq = _insert(session, Event, event_id=new_event_id(), type=event_type.value,
                      registration_id=registration_id, occurred_at=now, payload_sealed=sealed,
                      operator=self.operator, created_at=now)
        _insert(session, OutboxEntry, event_seq=seq, state=OutboxState.PENDING.value, updated_at=now)
        audit.append(session, action=event_type.value, operator=self.operator, at=now,
                     registration_id=registration_id, event_seq=seq, digest=audit.digest_of(sealed))
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

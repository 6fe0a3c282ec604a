"""The venue's register: the agent API that the CLI and the TUI call.

Every change goes through the register's `Ledger` (`agent.register.ledger`): one write transaction
writes the rows, their event, its outbox entry and its audit entry, attributed to the registry's
`operator`. Input is checked first by the same validator the platform runs
(`agent.validation.registration`); rules that need the store are checked inside the transaction. What
the register answers lives beside it: lists and search (`listing`), what the platform refused and its
corrections (`corrections`), the daily report (`daily_report`), accounts, reminders and delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from sqlmodel import Session, select

from agent.domain import CHINA_TIME, VenueKind
from agent.duties import at_rest, visitors
from agent.duties.permit_checks import PermitCheckResult, permit_checks
from agent.duties.reminders import Reminder, due_reminders
from agent.register import daily_report
from agent.register.accounts import Accounts
from agent.register.corrections import Corrections
from agent.register.delivery import DeliveryState, delivery_state, outbox_counts
from agent.register.ledger import Ledger, already_departed, not_found
from agent.register.listing import Listing
from agent.register.records import (
    Companion,
    Outcome,
    RegistrationView,
    RoomDeparture,
    VisitOutcome,
    VisitView,
)
from agent.register.stay import StayChanges
from agent.store import audit
from agent.store.database import Store
from agent.store.models import Event, Registration, Venue
from agent.validation.registration import CheckedRegistration
from agent.validation.stay_events import registration_number
from agent.validation.venue import VenueDetails


class _DryRun(Exception):
    """Raised at the end of a dry-run transaction so that it rolls back."""

    def __init__(self, registration_id: int) -> None:
        self.registration_id = registration_id


class Registry:
    """Register arrivals and departures at the store's venue and answer who is here."""

    def __init__(self, store: Store, operator: str = "owner", clock: Callable[[], datetime] | None = None) -> None:
        """`operator` is who acts: every event and audit entry this registry writes names them."""
        self.store = store
        self._ledger = Ledger(store, operator, clock)
        self._listing = Listing(store)
        self._stay = StayChanges(self._ledger, self._listing)
        self.corrections = Corrections(self._ledger, self._listing, self._stay)

    @property
    def operator(self) -> str:
        return self._ledger.operator

    @operator.setter
    def operator(self, name: str) -> None:
        self._ledger.operator = name

    # -- the venue ---------------------------------------------------------------------------------

    def venue(self) -> Venue | None:
        with self.store.read() as session:
            return session.exec(select(Venue)).first()

    def set_venue(self, details: VenueDetails) -> Venue:
        """Create or replace the venue's details (one venue per store); check them first (`check_venue`)."""
        values = {"kind": VenueKind(details.kind).value, "name": details.name, "address": details.address,
                  "police_station": details.police_station, "agreement_no": details.agreement_no,
                  "rental_filing_no": details.rental_filing_no, "credit_code": details.credit_code,
                  "subtype": details.subtype, "jurisdiction": details.jurisdiction, "region": details.region}
        now = self._ledger.now()

        def work(session: Session) -> Venue:
            venue_row = session.exec(select(Venue)).first()
            if venue_row is None:
                venue_row = Venue(created_at=now, **values)
            else:
                for name, value in values.items():
                    setattr(venue_row, name, value)
            session.add(venue_row)
            session.flush()
            audit.append(session, action=audit.VENUE, operator=self.operator, at=now,
                         detail={"kind": venue_row.kind})
            return venue_row

        self._ledger.forget_venue()
        return self.store.write(work)

    # -- arrivals and departures -------------------------------------------------------------------

    def register(self, payload: Mapping[str, Any] | CheckedRegistration, *, dry_run: bool = False) -> Outcome:
        """Register one arrival; a refused record writes nothing.

        `payload` is what was typed (checked here), or the shared validator's result for it when the
        caller has just checked it (the TUI's form): then it is not checked a second time.
        With `dry_run`, every check runs, the store's included, and the transaction is rolled back:
        the outcome's id is the one the record would have had.
        """
        ledger = self._ledger
        now = ledger.now()
        admitted = ledger.admit(payload, now, new_arrival=True)
        if isinstance(admitted, Outcome):
            return admitted

        def work(session: Session) -> int:
            reg_id = ledger.write_registration(session, admitted, now)
            if dry_run:
                raise _DryRun(reg_id)
            return reg_id

        try:
            outcome = ledger.outcome(work)
        except _DryRun as done:
            return Outcome(done.registration_id, admitted.warnings)
        return Outcome(outcome.registration_id, outcome.problems or admitted.warnings)

    def depart(self, registration_id: int, at: datetime | None = None, late_reason: str | None = None) -> Outcome:
        """Record a departure (check-out, move-out, end of employment) at `at` (default: now). One more than
        72 hours back needs `late_reason`, which goes to the platform with it."""
        ledger = self._ledger
        now = ledger.now()
        departed_at = at or now
        if departed_at.tzinfo is None:
            departed_at = departed_at.replace(tzinfo=CHINA_TIME)

        def work(session: Session) -> int:
            # FOR UPDATE on PostgreSQL: two desks recording the same departure take turns, and the second
            # sees the first one's (SQLite ignores it: its write lock already serialises).
            number = registration_number(registration_id)
            reg = session.get(Registration, number, with_for_update=True) if number is not None else None
            if reg is None or reg.cancelled_at is not None:
                raise not_found(registration_id)
            if reg.departed_at is not None:
                raise already_departed(reg)
            ledger.write_departure(session, reg, departed_at, now, late_reason)
            return registration_id

        return ledger.outcome(work)

    def depart_room(self, unit: str, at: datetime | None = None, late_reason: str | None = None) -> RoomDeparture:
        """Check out everyone registered in `unit` now (a family, companions): one departure each, all in
        one transaction - all of them or, when one is refused, none."""
        return self._stay.depart_room(unit, at, late_reason)

    def undo_departure(self, registration_id: int) -> Outcome:
        """Undo a stay's last departure within 15 minutes of recording it (`departure_cancelled`): the stay
        is open again. Later it is refused (`departure.undo_too_late`)."""
        return self._stay.undo_departure(registration_id)

    def move(self, registration_id: int, unit: str, at: datetime | None = None) -> Outcome:
        """Move a present stay to another room or unit at `at` (default: now) (`unit_change`)."""
        return self._stay.move(registration_id, unit, at)

    def extend(self, registration_id: int, until: date | datetime | str) -> Outcome:
        """A present stay's new expected departure - for a tenancy, the lease renewed until then
        (`stay_extension`)."""
        return self._stay.extend(registration_id, until)

    def occupants(self, unit: str) -> list[RegistrationView]:
        """Who is registered in `unit` now (the companions a new guest joins, the room `depart_room` empties)."""
        return self._listing.occupants(unit)

    def companions(self, unit: str, day: date) -> list[Companion]:
        """Who is present in `unit` and could be named as a minor's companion arriving on `day`: each with
        whether they are an adult then, and the document number `companions` takes (never to be shown)."""
        return self._listing.companions(unit, day)

    # -- visitors ------------------------------------------------------------------------------------

    def visit(self, payload: Mapping[str, Any]) -> VisitOutcome:
        """Record a visitor: `{visitor: a person object, host: registration number, arrived_at}`."""
        return self._stay.visit(payload)

    def end_visit(self, visit_id: int, at: datetime | None = None) -> VisitOutcome:
        """Record that a visitor left at `at` (default: now)."""
        return self._stay.end_visit(visit_id, at)

    def visits(self, *, in_only: bool = False) -> list[VisitView]:
        """Visits newest first; `in_only` keeps the visitors still in."""
        return self._stay.visits(in_only=in_only)

    def closing_time(self) -> time:
        """The time visitors must be out by (default 23:00); later, reminders list those still in."""
        return visitors.closing_time(self.store)

    def visits_past_closing(self, visits: Iterable[VisitView], closing: time, now: datetime | None = None) -> set[int]:
        """The ids of `visits` still in past their visiting day's `closing` time (`closing_time()`, which
        the caller shows too): the reminders' rule (a visiting day runs from 06:00, so one who came at
        00:30 came after a 23:00 closing), for a list that says who to see out."""
        now = now or self._ledger.now()
        return {visit.id for visit in visits if visit.in_now and visitors.late_since(visit.arrived_at, closing) <= now}

    def set_closing_time(self, text: str) -> time:
        """Set the visitors' closing time, `HH:MM` (owners only, audited); raises SettingError or
        OperatorError."""
        return visitors.set_closing_time(self.store, text, operator=self.operator, now=self._ledger.now())

    # -- encryption at rest --------------------------------------------------------------------------

    def at_rest_suite(self) -> str:
        """The suite personal data is sealed with: `aes` (AES-256-GCM, HMAC-SHA256) or `gm` (SM4, SM3), as
        the store says now (another desk may have switched it)."""
        return self.store.suite()

    def set_at_rest_suite(self, suite: str) -> at_rest.Resealed:
        """Seal with `suite` from now on, re-sealing everything in one transaction (owners only, audited);
        raises SettingError, OperatorError or StoreError (`agent.duties.at_rest`)."""
        return at_rest.switch_suite(self.store, suite, operator=self.operator, now=self._ledger.now())

    def report_no_arrivals(self, now: datetime | None = None) -> list[date]:
        """Queue the daily "nobody new arrived" report for each finished day owed (`daily_report`)."""
        return daily_report.report_no_arrivals(self._ledger, now or self._ledger.now())

    def last_no_arrivals_report(self) -> tuple[date, str] | None:
        """The latest daily report queued: its day and its delivery state (pending, sent, ...)."""
        return daily_report.last_no_arrivals_report(self._ledger)

    # -- who is and was here -----------------------------------------------------------------------

    def registrations(self, *, present_only: bool = False, arrived_from: date | None = None,
                      arrived_to: date | None = None) -> list[RegistrationView]:
        """Registrations newest first; `present_only` keeps those not departed."""
        return self._listing.registrations(present_only=present_only, arrived_from=arrived_from,
                                           arrived_to=arrived_to)

    def search(self, text: str, *, present_only: bool = True) -> list[RegistrationView]:
        """Find by name (any part), by unit, or by the last digits of the document number."""
        return self._listing.search(text, present_only=present_only)

    def find_by_document(self, doc_type: str, number: str) -> list[RegistrationView]:
        """All registrations of the person holding this document, through the blind index."""
        return self._listing.find_by_document(doc_type, number)

    def event_payload(self, event: Event) -> dict[str, Any]:
        """The decrypted wire `data` of an event."""
        return self._ledger.event_payload(event)

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
        return audit.record(self.store, action=action, operator=self.operator, at=self._ledger.now(),
                            registration_id=registration_id, digest=digest, detail=detail)

    def record_inspection(self, registration_id: int) -> int:
        """Enter a look at one person's full record in the audit trail (the TUI's person screen)."""
        return self.record_action(audit.INSPECT, registration_id=registration_id)

    def record_setting(self, name: str, value: str | int | None) -> int:
        """Enter a setting kept outside the store (the platform's address, the idle lock) in the audit trail."""
        return self.record_action(audit.SETTING, detail={"name": name, "value": value})


"""What the platform refused, and putting it right: a corrected record or the same record sent again.

A correction is one transaction: it changes the registration, writes a new event that says what it
corrects, and retires the rejected event, which is never sent again (a correction made twice is refused
the second time, so it is not sent twice either).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from agent.domain import EventType, OutboxState
from agent.register.ledger import NOT_REJECTED, Ledger, Refused
from agent.register.listing import Listing
from agent.register.records import REGISTERING, STAY_EDITABLE, Outcome, Rejection
from agent.register.stay import StayChanges
from agent.store.models import Event, OutboxEntry, Person, Registration, Unit
from agent.validation import InvalidDocument, Problem
from agent.validation.datetimes import parse_datetime
from agent.validation.registration import CheckedRegistration
from agent.validation.stay_events import registration_number


class Corrections:
    """The refused events of a venue's register, and their corrections."""

    def __init__(self, ledger: Ledger, listing: Listing, stay: StayChanges) -> None:
        self._ledger = ledger
        self._listing = listing
        self._stay = stay

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
        with self._ledger.store.read() as session:
            rows = session.exec(query).all()
        return [Rejection(seq=seq, event_id=event_id, type=kind, registration_id=reg_id, occurred_at=occurred,
                          code=code or "", zh=zh or "", en=en or "", rejected_at=rejected_at, unit=unit,
                          name=self._listing.name_of(name_sealed, person_id) if name_sealed else None)
                for seq, event_id, kind, reg_id, occurred, code, zh, en, rejected_at, unit, name_sealed, person_id
                in rows]

    def rejected_data(self, seq: int) -> dict[str, Any] | None:
        """What a rejected event said (its wire `data`, decrypted), to fill the form that corrects it."""
        if registration_number(seq) is None:
            return None
        with self._ledger.store.read() as session:
            event = session.get(Event, seq)
            entry = session.get(OutboxEntry, seq)
        if event is None or entry is None or entry.state != OutboxState.REJECTED.value:
            return None
        return self._ledger.event_payload(event)

    def correct(self, seq: int, payload: Mapping[str, Any] | CheckedRegistration) -> Outcome:
        """Correct a rejected event.

        A rejected registration (or update, or correction) takes a registration payload, checked like a
        new one, and becomes a `correction` event; a rejected departure takes `{"departed_at": ...,
        "late_reason"?: ...}`; a rejected visit, visit end, room change or extension takes what its
        command takes (`agent.register.stay.StayChanges.correct`) and is sent again with `corrects`.
        Events of the same registration that the platform refused only because it did not know the
        registration yet (`registration.unknown`, e.g. the departure of a stay it had refused) are sent
        again after the correction, in the same transaction.
        """
        ledger = self._ledger
        now = ledger.now()
        if registration_number(seq) is None:  # a number no key can hold names nothing
            return Outcome(None, [NOT_REJECTED])
        with ledger.store.read() as session:
            event = session.get(Event, seq)
        if event is None or event.registration_id is None:
            return Outcome(None, [NOT_REJECTED])
        registration_id = event.registration_id
        if event.type == EventType.DEPARTED.value:
            return self._correct_departure(seq, registration_id, payload, now)
        if event.type in STAY_EDITABLE:
            if isinstance(payload, CheckedRegistration):
                return Outcome(None, [Problem("correction.not_a_registration", "被退回的不是登记：请按该事件的内容更正",
                                              "what was rejected is not a registration: correct what it said")])

            def redo(session: Session) -> int:
                ledger.retire(session, seq, now)
                return self._stay.correct(session, event, payload, now)

            return ledger.outcome(redo)
        if event.type not in REGISTERING:
            return Outcome(None, [Problem("correction.not_editable", "这类事件不能修改，只能重新上报",
                                          "this kind of event cannot be edited, only sent again")])
        admitted = ledger.admit(payload, now)
        if isinstance(admitted, Outcome):
            return admitted
        data, venue, warnings = admitted

        def rewrite(session: Session) -> int:
            ledger.retire(session, seq, now)
            person_id = ledger.person_for(session, venue, data, now, registration_id)
            ledger.check_companions(session, venue[0], data)
            session.execute(update(Registration).where(col(Registration.id) == registration_id).values(
                person_id=person_id, **ledger.registration_values(session, venue[0], data), updated_at=now))
            ledger.record_event(session, EventType.CORRECTED, registration_id,
                                {**data, "registration_id": str(registration_id), "corrects": event.event_id}, now)
            self._resend_unknown(session, registration_id, now)
            return registration_id

        outcome = ledger.outcome(rewrite)
        return Outcome(outcome.registration_id, outcome.problems or warnings)

    def resend(self, seq: int) -> Outcome:
        """Send a rejected event again, unchanged, as a new event: for a refusal whose cause was put
        right elsewhere (the unit filed at the police station, the registration corrected)."""
        ledger = self._ledger
        now = ledger.now()
        if registration_number(seq) is None:
            return Outcome(None, [NOT_REJECTED])

        def again(session: Session) -> int:
            event = ledger.retire(session, seq, now)
            if event.registration_id is None:
                raise Refused(NOT_REJECTED)
            ledger.record_event(session, EventType(event.type), event.registration_id, ledger.event_payload(event), now)
            return event.registration_id

        return ledger.outcome(again)

    def _correct_departure(self, seq: int, registration_id: int, payload: Mapping[str, Any] | CheckedRegistration,
                           now: datetime) -> Outcome:
        ledger = self._ledger
        if isinstance(payload, CheckedRegistration):
            return Outcome(None, [Problem("correction.not_a_departure", "被退回的是离开记录：请更正离开时间",
                                          "what was rejected is a departure: correct its time")])
        try:
            departed_at = parse_datetime(payload.get("departed_at") or "")
        except InvalidDocument as bad:
            return Outcome(None, [bad.problem.at("departed_at")])

        def redepart(session: Session) -> int:
            ledger.retire(session, seq, now)
            reg = session.get(Registration, registration_id)
            assert reg is not None
            ledger.write_departure(session, reg, departed_at, now, payload.get("late_reason"))
            return registration_id

        return ledger.outcome(redepart)

    def _resend_unknown(self, session: Session, registration_id: int, now: datetime) -> None:
        ledger = self._ledger
        waiting = session.exec(
            select(Event).join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq)
            .where(Event.registration_id == registration_id, OutboxEntry.state == OutboxState.REJECTED.value,
                   OutboxEntry.reject_code == "registration.unknown")
            .order_by(col(Event.seq))).all()
        for event in waiting:
            assert event.seq is not None
            ledger.retire(session, event.seq, now)
            ledger.record_event(session, EventType(event.type), registration_id, ledger.event_payload(event), now)

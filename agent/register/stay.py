"""What happens to a stay after its registration: the whole room checked out, a check-out undone,
a room change, an extension (a lease renewed), visitors coming and going - and the corrections of these
when the platform refuses one.

Each change is one transaction of the register's `Ledger`: the rows, the event, its outbox entry and its
audit entry together. The rules are `agent.validation.stay_events`, the ones the platform runs; the
rules that need the store (is the stay still open, was the departure recorded in the last 15 minutes,
is the visitor already in) are checked inside the transaction, so two desks cannot both pass them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from agent.domain import CHINA_TIME, EventType
from agent.register.ledger import Ledger, Refused, already_departed, not_found
from agent.register.listing import Listing
from agent.register.records import PURGED_NAME, Outcome, RoomDeparture, VisitOutcome, VisitView
from agent.store.models import Event, Person, Registration, Unit, Visit
from agent.validation import Problem
from agent.validation.datetimes import to_iso
from agent.validation.stay_events import (
    check_departure_undo,
    check_extension,
    check_unit_change,
    check_visit,
    check_visit_end,
    registration_number,
)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=CHINA_TIME)
    return moment


def _first(problems: list[Problem]) -> None:
    """Refuse with the first error, if any."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise Refused(errors[0])


NOT_DEPARTED = Problem("departure.not_departed", "这条登记没有离开记录，无可撤销",
                       "this stay has no departure to undo", "registration_id")
NO_ONE_IN_UNIT = Problem("unit.empty", "这个房间/单元现在没有在住的登记", "no one is registered in this room or unit now",
                         "unit")
NOT_A_VISIT = Problem("visit.not_found", "没有这个访客登记号", "there is no such visit", "visit_id")
VISIT_ENDED = Problem("visit.already_ended", "这位访客已登记离开", "this visitor's leaving is already recorded",
                      "visit_id")
HOST_DEPARTED = Problem("visit.host_departed", "被访人已离开：不能登记对其的访问",
                        "the person visited has left: a visit to them cannot be recorded", "host")
VISIT_BEFORE_HOST = Problem("visit.before_host_arrival", "到访时间早于被访人的到达时间：请核对",
                            "the visit begins before the person visited arrived: check the time", "arrived_at")
HOST_REQUIRED = Problem("visit.host", "host 应为被访人的登记号（一个正整数）",
                        "host is the registration number of the person visited (a whole number)", "host")


def _already_in(visit_id: int) -> Refused:
    return Refused(Problem("visit.already_in", f"这位访客已在访（访客登记号 {visit_id}），请先登记其离开",
                           f"this visitor is already in (visit {visit_id}); record their leaving first",
                           "visitor.doc_number"))


class StayChanges:
    """The changes to stays after their registration, written through the register's ledger."""

    def __init__(self, ledger: Ledger, listing: Listing) -> None:
        self._ledger = ledger
        self._listing = listing

    # -- departures ---------------------------------------------------------------------------------

    def depart_room(self, unit: str, at: datetime | None = None, late_reason: str | None = None) -> RoomDeparture:
        """Check out everyone registered in `unit` now, at `at` (default: now): one departure event each,
        all in one transaction - all of them, or (when one is refused) none."""
        ledger = self._ledger
        now = ledger.now()
        departed_at = _aware(at) or now
        label = " ".join(str(unit).split())

        def work(session: Session) -> list[int]:
            regs = session.exec(select(Registration).join(Unit, col(Unit.id) == Registration.unit_id)
                                .where(Unit.label == label, col(Registration.departed_at).is_(None),
                                       col(Registration.cancelled_at).is_(None))
                                .order_by(col(Registration.id)).with_for_update()).all()
            if not regs:
                raise Refused(NO_ONE_IN_UNIT)
            for reg in regs:
                ledger.write_departure(session, reg, departed_at, now, late_reason)
            return [reg.id for reg in regs if reg.id is not None]

        try:
            return RoomDeparture(label, ledger.store.write(work))
        except Refused as refused:
            return RoomDeparture(label, [], [refused.problem])

    def undo_departure(self, registration_id: int) -> Outcome:
        """Undo the departure recorded last for a stay, within 15 minutes of recording it: the stay is
        open again and the platform is told (`departure_cancelled`). Later the departure stands."""
        ledger = self._ledger
        now = ledger.now()

        def work(session: Session) -> int:
            reg = _registration(session, registration_id)
            if reg.departed_at is None:
                raise Refused(NOT_DEPARTED)
            departure = session.exec(select(Event).where(Event.registration_id == reg.id,
                                                         Event.type == EventType.DEPARTED.value)
                                     .order_by(col(Event.seq).desc())).first()
            if departure is None:  # departed as it was registered (an import of past stays): nothing to undo
                raise Refused(NOT_DEPARTED)
            _first(check_departure_undo(departure.created_at, now))
            venue = ledger.venue_info()
            assert venue is not None and reg.id is not None
            # Reopening must not make a second open stay of the person (registered again since).
            again = session.exec(select(Registration.id).where(
                Registration.person_id == reg.person_id, Registration.id != reg.id,
                col(Registration.departed_at).is_(None), col(Registration.cancelled_at).is_(None))).first()
            if again is not None:
                raise Refused(Problem("registration.already_present",
                                      f"此人已重新登记（登记号 {again}），不能撤销原来的离开",
                                      f"this person was registered again (registration {again}); the earlier "
                                      "departure cannot be undone", "registration_id"))
            departed_at = reg.departed_at
            reg.departed_at, reg.updated_at = None, now
            session.add(reg)
            ledger.record_event(session, EventType.DEPARTURE_CANCELLED, reg.id,
                                {"registration_id": str(reg.id), "cancels": departure.event_id,
                                 "departed_at": to_iso(departed_at)}, now)
            return reg.id

        return ledger.outcome(work)

    # -- room changes and extensions ----------------------------------------------------------------

    def move(self, registration_id: int, unit: str, at: datetime | None = None) -> Outcome:
        """Move a present stay to another room or unit (`unit_change`), at `at` (default: now)."""
        ledger = self._ledger
        now = ledger.now()
        moved_at = _aware(at) or now

        def work(session: Session) -> int:
            reg = _open_registration(session, registration_id)
            return self._write_move(session, reg, unit, moved_at, now)

        return ledger.outcome(work)

    def extend(self, registration_id: int, until: date | datetime | str) -> Outcome:
        """Give a present stay a new expected departure (`stay_extension`): a hotel guest staying longer
        (or shorter), a lease renewed until `until` - the `lease.ended` reminder then goes."""
        ledger = self._ledger
        now = ledger.now()

        def work(session: Session) -> int:
            reg = _open_registration(session, registration_id)
            return self._write_extension(session, reg, until, now)

        return ledger.outcome(work)

    # -- visitors -----------------------------------------------------------------------------------

    def visit(self, payload: Mapping[str, Any]) -> VisitOutcome:
        """Record a visitor: `{visitor: a person object, host: the registration number visited,
        arrived_at}`. The outcome holds the visit's number (for `end_visit`)."""
        ledger = self._ledger
        now = ledger.now()
        checked = check_visit(payload, now=now)
        host = registration_number(payload.get("host")) if isinstance(payload, Mapping) else None
        problems = list(checked.problems) + ([HOST_REQUIRED] if host is None else [])
        if checked.data is None or host is None:
            return VisitOutcome(None, problems)
        data = checked.data
        venue = ledger.venue_info()
        if venue is None:
            return VisitOutcome(None, [Problem("venue.missing", "还没有设置场所，请先运行 dengji init",
                                               "no venue is set up yet: run `dengji init` first")])

        def work(session: Session) -> int:
            reg = session.get(Registration, host, with_for_update=True)
            if reg is None or reg.cancelled_at is not None:
                raise Refused(not_found(host).problem.at("host"))
            arrived_at = datetime.fromisoformat(data["arrived_at"])
            _check_host(reg, arrived_at)
            person_id = ledger.upsert_person(session, data["visitor"], now)
            in_already = session.exec(select(Visit.id).where(Visit.person_id == person_id,
                                                             col(Visit.left_at).is_(None))).first()
            if in_already is not None:
                raise _already_in(in_already)
            visit = Visit(venue_id=venue[0], registration_id=host, person_id=person_id, arrived_at=arrived_at,
                          created_at=now, updated_at=now)
            session.add(visit)
            session.flush()
            assert visit.id is not None
            ledger.record_event(session, EventType.VISIT, host, _visit_data(visit.id, host, data), now)
            return visit.id

        try:
            return VisitOutcome(ledger.store.write(work), [p for p in problems if p.severity != "error"])
        except Refused as refused:
            return VisitOutcome(None, [refused.problem])

    def end_visit(self, visit_id: int, at: datetime | None = None) -> VisitOutcome:
        """Record that a visitor left, at `at` (default: now)."""
        ledger = self._ledger
        now = ledger.now()
        left_at = _aware(at) or now

        def work(session: Session) -> int:
            visit = _visit(session, visit_id)
            if visit.left_at is not None:
                raise Refused(VISIT_ENDED)
            return self._write_visit_end(session, visit, left_at, now)

        try:
            return VisitOutcome(ledger.store.write(work))
        except Refused as refused:
            return VisitOutcome(None, [refused.problem])

    def visits(self, *, in_only: bool = False) -> list[VisitView]:
        """Visits newest first, with whom each visits; `in_only` keeps the visitors still in."""
        host = Person.__table__.alias("host_person")  # type: ignore[attr-defined]
        query = (select(Visit.id, Visit.registration_id, Unit.label, host.c.name_sealed, Person.name_sealed,
                        Person.doc_type, Person.doc_masked, Visit.arrived_at, Visit.left_at, host.c.id, Person.id)
                 .join(Person, col(Person.id) == Visit.person_id)
                 .join(Registration, col(Registration.id) == Visit.registration_id)
                 .join(host, host.c.id == Registration.person_id)
                 .join(Unit, col(Unit.id) == Registration.unit_id)
                 .order_by(col(Visit.arrived_at).desc(), col(Visit.id).desc()))
        if in_only:
            query = query.where(col(Visit.left_at).is_(None))
        with self._ledger.store.read() as session:
            rows = session.exec(query).all()
        def name(sealed: bytes, person_id: int) -> str:
            return self._listing.name_of(sealed, person_id) if sealed else PURGED_NAME

        return [VisitView(id=vid, host_registration_id=rid, host_unit=unit, host_name=name(host_name, host_id),
                          name=name(visitor_name, visitor_id), doc_type=doc_type, doc_masked=masked,
                          arrived_at=arrived, left_at=left)
                for vid, rid, unit, host_name, visitor_name, doc_type, masked, arrived, left, host_id, visitor_id
                in rows]

    # -- corrections of refused stay events (`agent.register.corrections`) ---------------------------

    def correct(self, session: Session, event: Event, payload: Mapping[str, Any], now: datetime) -> int:
        """Inside the transaction that retired the rejected `event`: write its correction, an event of the
        same kind naming the one it corrects. `payload` is what the command takes for that kind: a visit,
        `{left_at}`, `{unit, moved_at}`, `{expected_departure}`."""
        ledger = self._ledger
        sent = ledger.event_payload(event)
        assert event.registration_id is not None and event.event_id
        kind = EventType(event.type)
        if kind is EventType.VISIT:
            visit = _visit(session, int(sent["visit_id"]))
            checked = check_visit({**payload, "host": visit.registration_id}, now=now)
            _first(checked.problems)
            assert checked.data is not None
            arrived_at = datetime.fromisoformat(checked.data["arrived_at"])
            reg = session.get(Registration, visit.registration_id)
            assert reg is not None
            _check_host(reg, arrived_at)
            visit.person_id = ledger.upsert_person(session, checked.data["visitor"], now)
            visit.arrived_at, visit.updated_at = arrived_at, now
            session.add(visit)
            assert visit.id is not None
            data = _visit_data(visit.id, visit.registration_id, checked.data)
            ledger.record_event(session, kind, visit.registration_id, {**data, "corrects": event.event_id}, now)
            return visit.registration_id
        if kind is EventType.VISIT_END:
            visit = _visit(session, int(sent["visit_id"]))
            return self._write_visit_end(session, visit, payload.get("left_at"), now, corrects=event.event_id)
        reg = _open_registration(session, event.registration_id)
        if kind is EventType.UNIT_CHANGED:
            return self._write_move(session, reg, payload.get("unit"), payload.get("moved_at") or sent["moved_at"],
                                    now, corrects=event.event_id)
        return self._write_extension(session, reg, payload.get("expected_departure") or payload.get("until"), now,
                                     corrects=event.event_id)

    # -- inside transactions ------------------------------------------------------------------------

    def _write_move(self, session: Session, reg: Registration, unit: Any, moved_at: Any, now: datetime,
                    corrects: str | None = None) -> int:
        previous = session.get(Unit, reg.unit_id)
        assert previous is not None and reg.id is not None
        label, problems = check_unit_change(reg.arrived_at, moved_at, unit, previous.label, now)
        _first(problems)
        assert label is not None
        reg.unit_id = self._ledger.unit_id(session, reg.venue_id, label)
        reg.updated_at = now
        session.add(reg)
        data = {"registration_id": str(reg.id), "unit": label, "previous_unit": previous.label,
                "moved_at": to_iso(_moment(moved_at))}
        if corrects:
            data["corrects"] = corrects
        self._ledger.record_event(session, EventType.UNIT_CHANGED, reg.id, data, now)
        return reg.id

    def _write_extension(self, session: Session, reg: Registration, until: Any, now: datetime,
                         corrects: str | None = None) -> int:
        new_end, problems = check_extension(reg.arrived_at, until, now)
        _first(problems)
        assert new_end is not None and reg.id is not None
        previous = reg.expected_departure
        reg.expected_departure, reg.updated_at = new_end, now
        session.add(reg)
        data = {"registration_id": str(reg.id), "expected_departure": to_iso(new_end),
                "previous_expected_departure": to_iso(previous) if previous else None}
        if corrects:
            data["corrects"] = corrects
        self._ledger.record_event(session, EventType.STAY_EXTENDED, reg.id, data, now)
        return reg.id

    def _write_visit_end(self, session: Session, visit: Visit, left_at: Any, now: datetime,
                         corrects: str | None = None) -> int:
        _first(check_visit_end(visit.arrived_at, left_at, now))
        left = _moment(left_at)
        visit.left_at, visit.updated_at = left, now
        session.add(visit)
        assert visit.id is not None
        data = {"registration_id": str(visit.registration_id), "visit_id": str(visit.id), "left_at": to_iso(left)}
        if corrects:
            data["corrects"] = corrects
        self._ledger.record_event(session, EventType.VISIT_END, visit.registration_id, data, now)
        return visit.id if corrects is None else visit.registration_id


def _moment(value: Any) -> datetime:
    """A time the shared check has already read (a datetime, or text it accepted)."""
    from agent.validation.datetimes import parse_datetime

    return parse_datetime(value)


def _visit_data(visit_id: int, host: int, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"registration_id": str(host), "visit_id": str(visit_id), "visitor": data["visitor"],
            "arrived_at": data["arrived_at"]}


def _check_host(reg: Registration, arrived_at: datetime) -> None:
    if reg.departed_at is not None:
        raise Refused(HOST_DEPARTED)
    if arrived_at < reg.arrived_at:
        raise Refused(VISIT_BEFORE_HOST)


def _registration(session: Session, registration_id: int) -> Registration:
    """The (uncancelled) registration, locked for this transaction, or the refusal."""
    number = registration_number(registration_id)
    reg = session.get(Registration, number, with_for_update=True) if number is not None else None
    if reg is None or reg.cancelled_at is not None:
        raise not_found(registration_id)
    return reg


def _open_registration(session: Session, registration_id: int) -> Registration:
    reg = _registration(session, registration_id)
    if reg.departed_at is not None:
        raise already_departed(reg)
    return reg


def _visit(session: Session, visit_id: int) -> Visit:
    number = registration_number(visit_id)
    visit = session.get(Visit, number, with_for_update=True) if number is not None else None
    if visit is None:
        raise Refused(NOT_A_VISIT)
    return visit

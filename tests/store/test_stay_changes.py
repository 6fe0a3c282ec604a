"""What happens to a stay after its registration, through the register and its real store: the room
checked out at once, a check-out undone, room changes, extensions, visitors (issue 18). The clock is the
register's own, moved by the test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from agent.register.registry import Registry
from agent.store.models import Event, OutboxEntry, Registration, Visit
from agent.store.opening import open_store
from agent.validation.venue import VenueDetails
from tests.moving_clock import Clock

START = datetime(2026, 11, 20, 14, 0, tzinfo=CHINA_TIME)
HUGE = 99999999999999999999999


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def _registry(home: Path, kind: str, clock: Clock) -> Iterator[Registry]:
    store = open_store(home, create=True)
    registry = Registry(store, clock=clock)
    registry.set_venue(VenueDetails(kind=kind, name="测试"))
    yield registry
    store.dispose()


@pytest.fixture
def hotel(private_home: Path, clock: Clock) -> Iterator[Registry]:
    yield from _registry(private_home, "hotel", clock)


def guest(registry: Registry, n: int, unit: str = "302", arrived: str = "2026-11-20 10:00") -> int:
    outcome = registry.register(sample_registration(n, "stay", arrived, unit=unit))
    assert outcome.ok, outcome.problems
    assert outcome.registration_id is not None
    return outcome.registration_id


def events_of(registry: Registry, registration_id: int) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    with registry.store.read() as session:
        rows = session.exec(select(Event).where(Event.registration_id == registration_id)
                            .order_by(Event.seq)).all()  # type: ignore[arg-type]
    return [(e.type, registry.event_payload(e)) for e in rows]


def counts(registry: Registry) -> tuple[int, int]:
    with registry.store.read() as session:
        return (session.exec(select(func.count()).select_from(Event)).one(),
                session.exec(select(func.count()).select_from(OutboxEntry)).one())


def codes(outcome) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.code for p in outcome.problems]


def test_a_family_in_one_room_checks_out_at_once(hotel: Registry, clock: Clock) -> None:
    family = [guest(hotel, n, unit="501") for n in range(1, 5)]
    other = guest(hotel, 5, unit="502")
    assert [v.id for v in hotel.occupants("501")] == family
    done = hotel.depart_room(" 501 ", at=START - timedelta(minutes=5))
    assert done.ok and done.registration_ids == family and done.unit == "501"
    assert hotel.occupants("501") == [] and [v.id for v in hotel.occupants("502")] == [other]
    assert all(events_of(hotel, rid)[-1][0] == "departure" for rid in family)
    again = hotel.depart_room("501")
    assert not again.ok and codes(again) == ["unit.empty"]


def test_a_room_is_checked_out_all_or_nothing(hotel: Registry, clock: Clock) -> None:
    guest(hotel, 1, unit="501", arrived="2026-11-20 09:00")
    guest(hotel, 2, unit="501", arrived="2026-11-20 12:00")
    before = counts(hotel)
    refused = hotel.depart_room("501", at=datetime(2026, 11, 20, 11, 0, tzinfo=CHINA_TIME))  # before the 2nd came
    assert not refused.ok and codes(refused) == ["registration.departure_before_arrival"]
    assert counts(hotel) == before and len(hotel.occupants("501")) == 2


def test_a_departure_is_undone_within_15_minutes_only(hotel: Registry, clock: Clock) -> None:
    rid = guest(hotel, 1)
    assert hotel.depart(rid).ok
    departure_id = events_of(hotel, rid)[-1]
    clock.advance(minutes=15)
    undone = hotel.undo_departure(rid)
    assert undone.ok, undone.problems
    kind, data = events_of(hotel, rid)[-1]
    assert kind == "departure_cancelled" and data["registration_id"] == str(rid)
    with hotel.store.read() as session:
        first_departure = session.exec(select(Event).where(Event.type == "departure")).one()
    assert data["cancels"] == first_departure.event_id and departure_id[0] == "departure"
    assert [v.id for v in hotel.registrations(present_only=True)] == [rid]
    assert codes(hotel.undo_departure(rid)) == ["departure.not_departed"]
    assert hotel.depart(rid).ok
    clock.advance(minutes=15, seconds=1)
    before = counts(hotel)
    late = hotel.undo_departure(rid)
    assert codes(late) == ["departure.undo_too_late"] and "15" in late.problems[0].en
    assert counts(hotel) == before
    assert codes(hotel.undo_departure(HUGE)) == ["registration.not_found"]
    assert codes(hotel.undo_departure(999)) == ["registration.not_found"]


def test_undoing_a_departure_after_the_person_registered_again_is_refused(hotel: Registry, clock: Clock) -> None:
    rid = guest(hotel, 1)
    assert hotel.depart(rid).ok
    guest(hotel, 1, unit="303")
    assert codes(hotel.undo_departure(rid)) == ["registration.already_present"]


def test_a_departure_backdated_over_72_hours_needs_a_reason(hotel: Registry, clock: Clock) -> None:
    first = guest(hotel, 1, arrived="2026-11-10 10:00")
    second = guest(hotel, 2, arrived="2026-11-10 10:00")
    assert hotel.depart(first, at=START - timedelta(hours=72)).ok
    refused = hotel.depart(second, at=START - timedelta(hours=73))
    assert codes(refused) == ["departure.late_without_reason"] and refused.problems[0].field == "late_reason"
    assert "--late-reason" in refused.problems[0].en
    assert codes(hotel.depart(second, at=START - timedelta(hours=73), late_reason="  ")) == [
        "departure.late_without_reason"]
    assert hotel.depart(second, at=START - timedelta(hours=73), late_reason="客人凌晨离店，次日才发现").ok
    assert events_of(hotel, second)[-1][1]["late_reason"] == "客人凌晨离店，次日才发现"
    assert "late_reason" not in events_of(hotel, first)[-1][1]
    assert codes(hotel.depart(HUGE)) == ["registration.not_found"]


def test_a_stay_moves_and_is_extended_while_present_only(hotel: Registry, clock: Clock) -> None:
    rid = guest(hotel, 1)
    moved = hotel.move(rid, "305", at=START - timedelta(minutes=30))
    assert moved.ok, moved.problems
    assert hotel.occupants("305")[0].id == rid and hotel.occupants("302") == []
    kind, data = events_of(hotel, rid)[-1]
    assert kind == "unit_change" and (data["unit"], data["previous_unit"]) == ("305", "302")
    assert codes(hotel.move(rid, "305")) == ["unit_change.same_unit"]
    assert codes(hotel.move(rid, "306", at=START - timedelta(days=1))) == ["unit_change.before_arrival"]
    assert codes(hotel.move(rid, "")) == ["registration.required"]
    extended = hotel.extend(rid, "2026-11-23 12:00")
    assert extended.ok, extended.problems
    kind, data = events_of(hotel, rid)[-1]
    assert kind == "stay_extension" and data["expected_departure"] == "2026-11-23T12:00:00+08:00"
    assert data["previous_expected_departure"] is None
    assert codes(hotel.extend(rid, "2026-11-19")) == ["stay_extension.before_arrival"]
    assert codes(hotel.extend(rid, "2026-11-20 12:00")) == ["stay_extension.in_past"]
    assert codes(hotel.extend(rid, "someday")) == ["datetime.format"]
    assert hotel.depart(rid).ok
    before = counts(hotel)
    assert codes(hotel.move(rid, "307")) == ["registration.already_departed"]
    assert codes(hotel.extend(rid, "2026-11-25")) == ["registration.already_departed"]
    assert codes(hotel.move(HUGE, "307")) == codes(hotel.extend(HUGE, "2026-11-25")) == ["registration.not_found"]
    assert counts(hotel) == before


def test_a_renewed_lease_ends_the_lease_reminder(private_home: Path, clock: Clock) -> None:
    for landlord in _registry(private_home, "rental", clock):
        record = sample_registration(1, "tenancy", "2026-05-01 10:00", unit="2-301")
        record["expected_departure"] = "2026-11-01"
        record["late_reason"] = "从旧登记簿补录"  # registered months after the move-in: the policy asks why
        tenancy = landlord.register(record).registration_id
        assert tenancy is not None
        assert "lease.ended" in [r.code for r in landlord.reminders(START)]
        assert landlord.extend(tenancy, "2027-10-31").ok
        assert "lease.ended" not in [r.code for r in landlord.reminders(START)]
        assert events_of(landlord, tenancy)[-1][1]["previous_expected_departure"] == "2026-11-01T00:00:00+08:00"


def visitor(n: int = 7) -> dict:  # type: ignore[type-arg]
    return sample_registration(n, "stay", "2026-11-20 10:00")["person"]


def test_a_visitor_comes_and_goes(hotel: Registry, clock: Clock) -> None:
    host = guest(hotel, 1)
    came = hotel.visit({"visitor": visitor(), "host": str(host), "arrived_at": "2026-11-20 13:30"})
    assert came.ok, came.problems
    assert [(v.id, v.host_registration_id, v.host_unit, v.in_now) for v in hotel.visits(in_only=True)] == [
        (came.visit_id, host, "302", True)]
    kind, data = events_of(hotel, host)[-1]
    assert kind == "visit" and data["visit_id"] == str(came.visit_id) and data["registration_id"] == str(host)
    assert data["visitor"]["name"] == visitor()["name"] and data["arrived_at"] == "2026-11-20T13:30:00+08:00"
    assert codes(hotel.visit({"visitor": visitor(), "host": host, "arrived_at": "2026-11-20 13:40"})) == [
        "visit.already_in"]
    assert came.visit_id is not None
    left = hotel.end_visit(came.visit_id, at=START)
    assert left.ok and hotel.visits(in_only=True) == []
    assert events_of(hotel, host)[-1][0] == "visit_end"
    assert codes(hotel.end_visit(came.visit_id)) == ["visit.already_ended"]
    assert codes(hotel.end_visit(HUGE)) == codes(hotel.end_visit(42)) == ["visit.not_found"]


def test_bad_visits_are_refused_and_write_nothing(hotel: Registry, clock: Clock) -> None:
    host = guest(hotel, 1)
    gone = guest(hotel, 2)
    assert hotel.depart(gone).ok
    before = counts(hotel)
    at = "2026-11-20 13:30"
    assert codes(hotel.visit({"visitor": visitor(), "host": gone, "arrived_at": at})) == ["visit.host_departed"]
    assert codes(hotel.visit({"visitor": visitor(), "host": 999, "arrived_at": at})) == ["registration.not_found"]
    for bad_host in (HUGE, str(HUGE), "abc", None, True, 0):
        assert codes(hotel.visit({"visitor": visitor(), "host": bad_host, "arrived_at": at})) == ["visit.host"]
    assert codes(hotel.visit({"visitor": visitor(), "host": host, "arrived_at": "2026-11-20 09:00"})) == [
        "visit.before_host_arrival"]
    wrong = {**visitor(), "doc_number": visitor()["doc_number"][:-1] + "0"}
    refused = hotel.visit({"visitor": wrong, "host": host, "arrived_at": at})
    assert refused.problems and refused.problems[0].field == "visitor.doc_number"
    assert codes(hotel.visit({"visitor": visitor(), "host": host})) == ["registration.required"]
    assert codes(hotel.visit({"visitor": {"doc_type": "none_with_guardian", "name": "小明"}, "host": host,
                              "arrived_at": at})) == ["visit.document_required"]
    assert codes(hotel.visit({"visitor": visitor(), "host": host, "arrived_at": at, "room": "x"})) == [
        "registration.unknown_field"]
    assert counts(hotel) == before
    with hotel.store.read() as session:
        assert session.exec(select(func.count()).select_from(Visit)).one() == 0
        assert session.exec(select(func.count()).select_from(Registration)).one() == 2


def test_visitors_still_in_after_closing_time_are_reminded(hotel: Registry, clock: Clock) -> None:
    from datetime import time

    from agent.domain.errors import SettingError
    from agent.duties.visitors import late_since

    host = guest(hotel, 1)
    early = hotel.visit({"visitor": visitor(7), "host": host, "arrived_at": "2026-11-20 19:00"}).visit_id
    late = hotel.visit({"visitor": visitor(8), "host": host, "arrived_at": "2026-11-20 13:00"}).visit_id
    assert early and late
    assert hotel.end_visit(late, at=datetime(2026, 11, 20, 13, 30, tzinfo=CHINA_TIME)).ok
    assert hotel.closing_time() == time(23, 0)
    at_2259 = datetime(2026, 11, 20, 22, 59, tzinfo=CHINA_TIME)
    at_2300 = datetime(2026, 11, 20, 23, 0, tzinfo=CHINA_TIME)
    assert [r for r in hotel.reminders(at_2259) if r.code == "visit.after_closing"] == []
    due = [r for r in hotel.reminders(at_2300) if r.code == "visit.after_closing"]
    assert [(r.registration_id, r.since) for r in due] == [(host, at_2300)]
    assert f"visit-end {early}" in due[0].en and "23:00" in due[0].zh and visitor(7)["name"] in due[0].zh
    hotel.set_closing_time("22：00")
    assert hotel.closing_time() == time(22, 0)
    assert [r.code for r in hotel.reminders(at_2259)].count("visit.after_closing") == 1
    with pytest.raises(SettingError):
        hotel.set_closing_time("7pm")
    assert hotel.end_visit(early, at=at_2259).ok
    assert "visit.after_closing" not in [r.code for r in hotel.reminders(at_2300)]
    # A visiting day runs from 06:00: one who came at 02:00 came after hours; a 01:00 closing is that night's.
    closing = time(23, 0)
    night = datetime(2026, 11, 21, 2, 0, tzinfo=CHINA_TIME)
    assert late_since(night, closing) == night
    assert late_since(datetime(2026, 11, 20, 20, 0, tzinfo=CHINA_TIME), time(1, 0)) == datetime(
        2026, 11, 21, 1, 0, tzinfo=CHINA_TIME)


def _reject(registry: Registry, kind: str) -> int:
    """Mark the latest event of `kind` rejected, as the uploader does with a platform's refusal."""
    from sqlalchemy import update

    with registry.store.read() as session:
        seq = session.exec(select(Event.seq).where(Event.type == kind).order_by(Event.seq.desc())).first()  # type: ignore[union-attr]
    assert seq is not None

    def work(session):  # type: ignore[no-untyped-def]
        session.execute(update(OutboxEntry).where(OutboxEntry.event_seq == seq).values(
            state="rejected", reject_code="x.test", reject_zh="退回", reject_en="refused"))

    registry.store.write(work)
    return seq


def test_refused_visits_room_changes_and_extensions_are_corrected(hotel: Registry, clock: Clock) -> None:
    host = guest(hotel, 1)
    came = hotel.visit({"visitor": visitor(7), "host": host, "arrived_at": "2026-11-20 13:00"}).visit_id
    assert came is not None
    seq = _reject(hotel, "visit")
    assert [r.type for r in hotel.corrections.rejections()] == ["visit"] and hotel.corrections.rejections()[0].stay_event
    fixed = hotel.corrections.correct(seq, {"visitor": visitor(8), "arrived_at": "2026-11-20 13:10"})
    assert fixed.ok, fixed.problems
    kind, data = events_of(hotel, host)[-1]
    assert kind == "visit" and data["visit_id"] == str(came) and data["visitor"]["name"] == visitor(8)["name"]
    assert data["corrects"] and hotel.visits()[0].name == visitor(8)["name"]
    assert codes(hotel.corrections.correct(seq, {"visitor": visitor(8), "arrived_at": "2026-11-20 13:10"})) == [
        "correction.not_rejected"]

    assert hotel.end_visit(came, at=START).ok
    seq = _reject(hotel, "visit_end")
    assert codes(hotel.corrections.correct(seq, {"left_at": "2026-11-20 12:00"})) == ["visit.end_before_arrival"]
    assert hotel.corrections.correct(seq, {"left_at": "2026-11-20 13:50"}).ok
    assert hotel.visits()[0].left_at == datetime(2026, 11, 20, 13, 50, tzinfo=CHINA_TIME)

    assert hotel.move(host, "305").ok
    seq = _reject(hotel, "unit_change")
    assert hotel.corrections.correct(seq, {"unit": "306"}).ok
    assert hotel.occupants("306")[0].id == host and events_of(hotel, host)[-1][1]["previous_unit"] == "305"

    assert hotel.extend(host, "2026-11-25").ok
    seq = _reject(hotel, "stay_extension")
    assert hotel.corrections.correct(seq, {"expected_departure": "2026-11-24 12:00"}).ok
    assert hotel.registrations()[0].expected_departure == datetime(2026, 11, 24, 12, 0, tzinfo=CHINA_TIME)
    assert hotel.corrections.rejections() == []


def test_a_visitor_is_erased_with_the_stay_they_visited(enrolled_hotel, private_home: Path) -> None:  # type: ignore[no-untyped-def]
    from agent.duties.retention import purge
    from agent.register.records import PURGED_NAME
    from tests.uploader.processes import dengji

    desk = Registry(open_store(private_home))
    try:
        gone = desk.register(sample_registration(1, "stay", "2025-01-01 10:00", unit="101")).registration_id
        here = desk.register(sample_registration(2, "stay", "2025-01-01 10:00", unit="102")).registration_id
        assert gone and here
        only_gone = desk.visit({"visitor": visitor(7), "host": gone, "arrived_at": "2025-01-01 12:00"}).visit_id
        both = desk.visit({"visitor": visitor(8), "host": gone, "arrived_at": "2025-01-01 12:00"}).visit_id
        assert only_gone and both
        left = datetime(2025, 1, 1, 13, 0, tzinfo=CHINA_TIME)
        assert desk.end_visit(only_gone, left).ok and desk.end_visit(both, left).ok
        assert desk.visit({"visitor": visitor(8), "host": here, "arrived_at": "2025-01-01 14:00"}).ok
        assert desk.depart(gone, datetime(2025, 1, 2, 10, 0, tzinfo=CHINA_TIME), late_reason="历史数据补录").ok
        dengji("send")
        done = purge(desk.store, operator="system")
        assert done.registrations == (gone,) and done.people == 2  # the guest and the visitor of them only
        names = {v.id: v.name for v in desk.visits()}
        assert names[only_gone] == PURGED_NAME and names[both] == visitor(8)["name"]
    finally:
        desk.store.dispose()


def test_a_refused_departure_corrected_over_72_hours_back_needs_the_reason_too(hotel: Registry, clock: Clock) -> None:
    rid = guest(hotel, 1, arrived="2026-11-10 10:00")
    assert hotel.depart(rid).ok
    seq = _reject(hotel, "departure")
    back = (START - timedelta(hours=80)).isoformat()
    assert codes(hotel.corrections.correct(seq, {"departed_at": back})) == ["departure.late_without_reason"]
    assert hotel.corrections.correct(seq, {"departed_at": back, "late_reason": "前台漏登"}).ok
    assert events_of(hotel, rid)[-1][1]["late_reason"] == "前台漏登"

"""The venue's duties through a real store: reminders fall due and go away as each duty is kept, and the
daily no-arrivals report (无入住上报) is queued once per finished day, caught up after days off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from agent.duties.reminders import due_reminders, summary
from agent.register.registry import Registry
from agent.store.models import OutboxEntry
from agent.store.opening import open_store
from agent.validation.venue import VenueDetails


@pytest.fixture
def now() -> datetime:
    """The time the test starts (not the module's import: a busy run reaches a test minutes later, and
    the events it writes carry the real time)."""
    return datetime.now(UTC).replace(microsecond=0)


def arrived(now: datetime) -> str:
    return (now - timedelta(hours=2)).astimezone(CHINA_TIME).isoformat()


@pytest.fixture
def venue_registry(private_home: Path) -> Iterator[callable]:  # type: ignore[valid-type]
    stores = []

    def make(kind: str) -> Registry:
        store = open_store(private_home, create=True)
        stores.append(store)
        registry = Registry(store)
        registry.set_venue(VenueDetails(kind=kind, name="测试场所"))
        return registry

    yield make
    for store in stores:
        store.dispose()


def codes(registry: Registry, at: datetime) -> list[str]:
    return [r.code for r in due_reminders(registry.store, at)]


def test_a_resident_without_a_permit_after_six_months_is_a_reminder_until_they_leave(now: datetime,
                                                                                      hotel_registry: Registry) -> None:
    """National rules (居住证暂行条例): a permit after six months; Zhengzhou's 30 days are in
    tests/store/test_people_duties.py."""
    without = hotel_registry.register(sample_registration(1, "stay", arrived(now), unit="301"))
    with_permit = sample_registration(2, "stay", arrived(now), unit="302")
    with_permit["person"]["residence_permit_number"] = "4101020000012345"
    assert without.ok and hotel_registry.register(with_permit).ok
    _sent(hotel_registry, now)
    assert codes(hotel_registry, now + timedelta(days=182)) == []
    due = due_reminders(hotel_registry.store, now + timedelta(days=184))
    assert [(r.code, r.registration_id) for r in due] == [("permit.missing", without.registration_id)]
    assert "301" in due[0].zh and "residence permit" in due[0].en
    assert summary(due) == "permit.missing=1"  # what logs get: no name, no room
    assert hotel_registry.depart(without.registration_id).ok  # type: ignore[arg-type]
    _sent(hotel_registry, now)
    assert codes(hotel_registry, now + timedelta(days=184)) == []


def test_a_stay_past_its_expected_check_out(now: datetime, venue_registry) -> None:  # type: ignore[no-untyped-def]
    hotel = venue_registry("hotel")
    stay = sample_registration(3, "stay", arrived(now))
    stay["expected_departure"] = (now + timedelta(hours=5)).isoformat()
    assert hotel.register(stay).ok
    _sent(hotel, now)
    assert codes(hotel, now + timedelta(hours=4)) == []
    assert codes(hotel, now + timedelta(hours=6)) == ["stay.overdue"]


def test_an_ended_lease_without_a_move_out(now: datetime, venue_registry) -> None:  # type: ignore[no-untyped-def]
    rental = venue_registry("rental")
    tenancy = sample_registration(4, "tenancy", arrived(now))  # a lease of 180 days
    tenancy["person"]["phone"] = "13800138000"
    tenancy["person"]["residence_permit_number"] = "4101020000012345"
    outcome = rental.register(tenancy)
    assert outcome.ok, outcome.problems
    _sent(rental, now)
    assert codes(rental, now + timedelta(days=170)) == []
    assert codes(rental, now + timedelta(days=181)) == ["lease.ended"]


def test_staff_lodging_on_site_without_a_lodging_registration(now: datetime, venue_registry) -> None:  # type: ignore[no-untyped-def]
    employer = venue_registry("employer")
    lodging, not_lodging = sample_registration(3, "employment", arrived(now)), sample_registration(4, "employment", arrived(now))
    assert lodging["lodges_on_site"] is True and not_lodging["lodges_on_site"] is False
    first, _ = employer.register(lodging), employer.register(not_lodging)
    _sent(employer, now)
    assert [(r.code, r.registration_id) for r in due_reminders(employer.store, now)] == [
        ("lodging.unregistered", first.registration_id)]


def test_uncorrected_rejections_and_a_late_backlog(now: datetime, hotel_registry: Registry) -> None:
    assert hotel_registry.register(sample_registration(5, "stay", arrived(now))).ok
    assert codes(hotel_registry, now + timedelta(minutes=30)) == []
    assert codes(hotel_registry, now + timedelta(minutes=61)) == ["backlog.late"]  # hotels: within the hour
    # The platform refused it (as the uploader records a refusal) a day and more ago.
    _set_outbox(hotel_registry, "rejected", now)
    assert codes(hotel_registry, now + timedelta(hours=23)) == []
    assert codes(hotel_registry, now + timedelta(hours=25)) == ["rejected.uncorrected"]


def test_the_daily_report_is_queued_once_per_day_without_arrivals(now: datetime, hotel_registry: Registry) -> None:
    created = hotel_registry.venue().created_at.astimezone(CHINA_TIME).date()  # type: ignore[union-attr]
    assert hotel_registry.report_no_arrivals(now) == []  # today is not over
    three_days_on = now + timedelta(days=3)
    arrival_day = Registry(hotel_registry.store, clock=lambda: now + timedelta(days=1, hours=1))
    guest = sample_registration(6, "stay", (now + timedelta(days=1)).astimezone(CHINA_TIME).isoformat())
    assert arrival_day.register(guest).ok  # somebody arrived on day 1
    reported = hotel_registry.report_no_arrivals(three_days_on)
    assert reported == [created, created + timedelta(days=2)]
    assert hotel_registry.report_no_arrivals(three_days_on) == []  # never twice
    assert hotel_registry.last_no_arrivals_report() == (created + timedelta(days=2), "pending")
    payloads = _no_arrival_payloads(hotel_registry)
    assert payloads == [{"date": created.isoformat()}, {"date": (created + timedelta(days=2)).isoformat()}]


def test_venues_that_do_not_owe_the_daily_report_send_none(now: datetime, venue_registry) -> None:  # type: ignore[no-untyped-def]
    assert venue_registry("rental").report_no_arrivals(now + timedelta(days=5)) == []


def _sent(registry: Registry, now: datetime) -> None:
    _set_outbox(registry, "sent", now)


def _set_outbox(registry: Registry, state: str, when: datetime) -> None:
    """Mark every outbox entry as the uploader would after the platform's answer."""
    registry.store.write(lambda s: s.execute(update(OutboxEntry).values(state=state, updated_at=when)))


def _no_arrival_payloads(registry: Registry) -> list[dict]:  # type: ignore[type-arg]
    from sqlmodel import select

    from agent.store.models import Event

    with registry.store.read() as session:
        events = session.exec(select(Event).where(Event.type == "no_arrivals_report").order_by(Event.seq)).all()
    return [registry.event_payload(e) for e in events]

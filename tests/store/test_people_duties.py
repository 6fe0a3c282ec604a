"""Issue 18's people rules through a real store: a minor's companions checked in the transaction, an
internet café's refusal, flags kept and turned into the operator's duties, local rules by jurisdiction,
late registrations, foreign guests' 24-hour deadline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from agent.domain import CHINA_TIME
from agent.duties.reminders import due_reminders
from agent.register.registry import Registry
from agent.store.models import OutboxEntry, Registration
from agent.store.opening import open_store
from agent.validation import resident_id
from agent.validation.registration import check_registration
from agent.validation.venue import VenueDetails, check_venue

Make = Callable[..., Registry]


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def venue(private_home: Path) -> Iterator[Make]:
    stores = []

    def make(kind: str, **details: Any) -> Registry:
        store = open_store(private_home, create=True)
        stores.append(store)
        registry = Registry(store)
        checked, problems = check_venue(VenueDetails(kind=kind, name="测试场所", **details))  # type: ignore[arg-type]
        assert problems == []
        registry.set_venue(checked)
        return registry

    yield make
    for store in stores:
        store.dispose()


def id_number(born: date, county: str = "110105", sequence: int = 12) -> str:
    body = f"{county}{born:%Y%m%d}{sequence:03d}"
    return body + resident_id.calc_check_digit(body)


def person(number: str, name: str = "王芳") -> dict[str, Any]:
    return {"doc_type": "resident_id", "doc_number": number, "name": name, "phone": "13912345678"}


def stay(number: str, unit: str, arrived: datetime, **top: Any) -> dict[str, Any]:
    return {"kind": "stay", "unit": unit, "arrived_at": arrived.astimezone(CHINA_TIME).isoformat(),
            "person": person(number), **top}


MOTHER = id_number(date(1985, 6, 7), sequence=14)
SISTER = id_number(date(2010, 1, 1), sequence=16)  # a minor too
CONTACT = {"name": "王芳", "phone": "13812345678"}


def child(now: datetime) -> str:
    return id_number((now - timedelta(days=365 * 14)).astimezone(CHINA_TIME).date(), sequence=18)


def codes(registry: Registry, at: datetime) -> list[str]:
    return [r.code for r in due_reminders(registry.store, at)]


def sent(registry: Registry, when: datetime) -> None:
    registry.store.write(lambda s: s.execute(update(OutboxEntry).values(state="sent", updated_at=when)))


def test_a_minor_is_checked_in_after_the_adult_named_as_companion(venue: Make, now: datetime) -> None:
    hotel = venue("hotel")
    arrived = now - timedelta(hours=1)
    minor = stay(child(now), "301", arrived, guardian_contact=CONTACT,
                 companions=[{"doc_number": MOTHER, "relation": "母亲"}])
    refused = hotel.register(minor)
    assert [p.code for p in refused.problems] == ["registration.companion_not_present"]
    assert refused.problems[0].field == "companions.0.doc_number"
    assert MOTHER not in refused.problems[0].zh + refused.problems[0].en  # never the number itself
    assert hotel.register(stay(MOTHER, "302", arrived)).ok  # the mother, in another room
    assert [p.code for p in hotel.register(minor).problems] == ["registration.companion_not_present"]
    assert hotel.register(stay(SISTER, "301", arrived, guardian_contact=CONTACT, guardian_contacted=True)).ok
    with_sister = {**minor, "companions": [{"doc_number": SISTER, "relation": "姐姐"}]}
    assert [p.code for p in hotel.register(with_sister).problems] == ["registration.companion_minor"]
    hotel2_mother = stay(id_number(date(1980, 2, 2), sequence=20), "301", arrived)
    assert hotel.register(hotel2_mother).ok
    accepted = hotel.register({**minor, "companions": [{"doc_number": hotel2_mother["person"]["doc_number"],
                                                          "relation": "父亲"}]})
    assert accepted.ok, accepted.problems
    assert _sent_data(hotel, accepted.registration_id)["companions"][0]["relation"] == "parent"


def test_a_departed_adult_is_no_companion(venue: Make, now: datetime) -> None:
    hotel = venue("hotel")
    arrived = now - timedelta(hours=2)
    adult = hotel.register(stay(MOTHER, "301", arrived))
    assert adult.ok and hotel.depart(adult.registration_id, now - timedelta(hours=1)).ok  # type: ignore[arg-type]
    minor = stay(child(now), "301", arrived, guardian_contact=CONTACT,
                 companions=[{"doc_number": MOTHER, "relation": "parent"}])
    assert [p.code for p in hotel.register(minor).problems] == ["registration.companion_not_present"]


def test_a_minor_alone_is_flagged_and_a_duty_until_they_leave(venue: Make, now: datetime) -> None:
    hotel = venue("hotel")
    outcome = hotel.register(stay(child(now), "305", now - timedelta(hours=1), guardian_contact=CONTACT,
                                  guardian_contacted="是"))
    assert outcome.ok and [p.code for p in outcome.problems] == ["registration.minor_unaccompanied"]
    with hotel.store.read() as session:
        assert session.exec(select(Registration.flags)).one() == "minor_unaccompanied"
    sent(hotel, now)
    due = due_reminders(hotel.store, now)
    assert [(r.code, r.registration_id) for r in due] == [("minor.unaccompanied", outcome.registration_id)]
    assert "305" in due[0].zh and "guardian" in due[0].en
    assert hotel.depart(outcome.registration_id).ok  # type: ignore[arg-type]
    sent(hotel, now)
    assert codes(hotel, now) == []


def test_an_internet_cafe_refuses_a_minor_even_when_the_form_checked_it_without_the_venue(venue: Make,
                                                                                             now: datetime) -> None:
    cafe = venue("overnight", subtype="internet_cafe")
    assert cafe.venue().subtype == "internet_cafe"  # type: ignore[union-attr]
    payload = stay(child(now), "A12", now - timedelta(minutes=5), guardian_contact=CONTACT, guardian_contacted=True)
    outcome = cafe.register(payload)
    assert [p.code for p in outcome.problems] == ["registration.minor_internet_cafe"]
    checked_elsewhere = check_registration(payload, now=now)  # as a form that did not know the venue
    assert checked_elsewhere.ok
    assert [p.code for p in cafe.register(checked_elsewhere).problems] == ["registration.minor_internet_cafe"]
    assert cafe.registrations() == []
    assert cafe.register(stay(MOTHER, "A12", now - timedelta(minutes=5))).ok


def test_a_venue_subtype_is_for_overnight_venues_and_the_jurisdiction_must_have_a_file(venue: Make) -> None:
    _, problems = check_venue(VenueDetails(kind="hotel", name="x", subtype="club"))  # type: ignore[arg-type]
    assert [p.code for p in problems] == ["venue.subtype.not_overnight"]
    _, problems = check_venue(VenueDetails(kind="overnight", name="x", subtype="sauna"))  # type: ignore[arg-type]
    assert [p.code for p in problems] == ["venue.subtype.unknown"]
    _, problems = check_venue(VenueDetails(kind="rental", name="x", jurisdiction="atlantis"))  # type: ignore[arg-type]
    assert [p.code for p in problems] == ["venue.jurisdiction.unknown"]
    details, _ = check_venue(VenueDetails(kind="rental", name="x", address="河南省郑州市金水区花园路1号"))  # type: ignore[arg-type]
    assert (details.jurisdiction, details.region) == ("zhengzhou", "4101")
    details, _ = check_venue(VenueDetails(kind="rental", name="x", address="北京市朝阳区"))  # type: ignore[arg-type]
    assert (details.jurisdiction, details.region) == ("national", "11")
    details, _ = check_venue(VenueDetails(kind="rental", name="x", address="北京市朝阳区",  # type: ignore[arg-type]
                                          jurisdiction="zhengzhou"))
    assert details.jurisdiction == "zhengzhou"


def test_zhengzhou_reminds_after_30_days_and_only_people_from_another_city(venue: Make, now: datetime) -> None:
    rental = venue("rental", address="郑州市二七区大学路 8 号")
    arrived = now - timedelta(hours=2)
    local = id_number(date(1990, 1, 1), county="410102", sequence=22)
    other = id_number(date(1990, 1, 1), county="110105", sequence=24)
    ids = []
    for number, unit in ((local, "1-101"), (other, "1-102")):
        tenancy = {"kind": "tenancy", "unit": unit, "arrived_at": arrived.isoformat(), "person": person(number),
                   "expected_departure": (now + timedelta(days=365)).isoformat()}
        outcome = rental.register(tenancy)
        assert outcome.ok, outcome.problems
        ids.append(outcome.registration_id)
    sent(rental, now)
    assert codes(rental, now + timedelta(days=29)) == []
    due = due_reminders(rental.store, now + timedelta(days=31))
    assert [(r.code, r.registration_id) for r in due] == [("permit.missing", ids[1])]
    assert "7 天" in due[0].zh and "30" in due[0].zh


def test_a_tenancy_registered_after_three_days_needs_a_reason_which_is_sent(venue: Make, now: datetime) -> None:
    rental = venue("rental")
    tenancy = {"kind": "tenancy", "unit": "2-201", "arrived_at": (now - timedelta(days=4)).isoformat(),
               "person": person(MOTHER), "expected_departure": (now + timedelta(days=300)).isoformat()}
    assert [p.code for p in rental.register(tenancy).problems] == ["registration.late_without_reason"]
    assert rental.registrations() == []
    outcome = rental.register({**tenancy, "late_reason": "房东出差，回来补登"})
    assert outcome.ok and [p.code for p in outcome.problems] == ["registration.late"]
    data = _sent_data(rental, outcome.registration_id)
    assert data["late_reason"] == "房东出差，回来补登" and data["flags"] == ["late"]


VISA = {"type": "L", "number": "01234567", "entry_port": "首都机场"}


def foreigner(arrived: datetime, stay_until: date, **top: Any) -> dict[str, Any]:
    day = arrived.astimezone(CHINA_TIME).date()
    return {"kind": "tenancy", "unit": "3-301", "arrived_at": arrived.isoformat(),
            "expected_departure": (arrived + timedelta(days=20)).isoformat(),
            "person": {"doc_type": "passport", "doc_number": "E12345678", "name": "SMITH JOHN", "sex": "M",
                       "nationality": "USA", "phone": "+1 202 555 0100", "doc_expiry": (day + timedelta(days=900)).isoformat(),
                       "visa": {**VISA, "entry_date": (day - timedelta(days=1)).isoformat(),
                                "stay_until": stay_until.isoformat()}}, **top}


def test_a_foreign_guest_at_a_rental_is_due_within_24_hours_and_an_overstay_is_a_duty(venue: Make,
                                                                                      now: datetime) -> None:
    rental = venue("rental")
    arrived = now - timedelta(hours=1)
    day = arrived.astimezone(CHINA_TIME).date()
    outcome = rental.register(foreigner(arrived, day + timedelta(days=10)))  # leaves after 20 days
    assert outcome.ok and [p.code for p in outcome.problems] == ["registration.visa_overstay"]
    assert codes(rental, now + timedelta(hours=22)) == ["visa.overstay"]
    # the foreigner's 24 hours run from the arrival (an hour before the record was made)
    assert codes(rental, now + timedelta(hours=24)) == ["visa.overstay", "foreigner.unreported"]
    sent(rental, now)
    assert codes(rental, now + timedelta(hours=24)) == ["visa.overstay"]


def _sent_data(registry: Registry, registration_id: int | None) -> dict[str, Any]:
    from agent.store.models import Event

    with registry.store.read() as session:
        event = session.exec(select(Event).where(Event.registration_id == registration_id)).first()
    assert event is not None
    return registry.event_payload(event)

"""The register through its real store: one transaction per change, refusals write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from agent.register.registry import Registry
from agent.store.models import Event, OutboxEntry, Person, Registration
from agent.validation.venue import VenueDetails

NOW = datetime.now(CHINA_TIME).replace(second=0, microsecond=0)
EARLIER = (NOW - timedelta(hours=3)).isoformat()


def _counts(registry: Registry) -> tuple[int, int, int, int]:
    with registry.store.read() as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one()  # type: ignore[return-value]
                     for m in (Person, Registration, Event, OutboxEntry))


def test_registration_writes_row_event_and_outbox_together(hotel_registry: Registry) -> None:
    outcome = hotel_registry.register(sample_registration(1, "stay", EARLIER, unit="305"))
    assert outcome.ok, outcome.problems
    assert _counts(hotel_registry) == (1, 1, 1, 1)
    with hotel_registry.store.read() as s:
        event = s.exec(select(Event)).one()
        entry = s.exec(select(OutboxEntry)).one()
    assert entry.event_seq == event.seq and entry.state == "pending"
    payload = hotel_registry.event_payload(event)
    assert payload["registration_id"] == str(outcome.registration_id)
    assert payload["unit"] == "305" and payload["person"]["name"] == sample_registration(1, "stay", EARLIER)["person"]["name"]


def test_refused_record_writes_nothing(hotel_registry: Registry) -> None:
    bad = sample_registration(2, "stay", EARLIER)
    bad["person"]["doc_number"] = bad["person"]["doc_number"][:-1] + ("0" if bad["person"]["doc_number"][-1] != "0" else "1")
    outcome = hotel_registry.register(bad)
    assert not outcome.ok
    assert [p.code for p in outcome.problems] == ["resident_id.checksum"]
    assert "校验位" in outcome.problems[0].zh  # never which digit it should be: tests/validation/test_check_digits.py
    assert _counts(hotel_registry) == (0, 0, 0, 0)


def test_wrong_kind_for_venue_is_refused(hotel_registry: Registry) -> None:
    outcome = hotel_registry.register(sample_registration(3, "tenancy", EARLIER))
    assert [p.code for p in outcome.problems] == ["registration.kind_mismatch"]
    assert _counts(hotel_registry) == (0, 0, 0, 0)


def test_second_open_stay_of_same_person_is_refused(hotel_registry: Registry) -> None:
    first = hotel_registry.register(sample_registration(4, "stay", EARLIER, unit="101"))
    again = hotel_registry.register(sample_registration(4, "stay", EARLIER, unit="102"))
    assert first.ok and not again.ok
    assert again.problems[0].code == "registration.already_present"
    assert str(first.registration_id) in again.problems[0].zh
    assert _counts(hotel_registry) == (1, 1, 1, 1)
    # After the departure the same person may come back.
    assert hotel_registry.depart(first.registration_id).ok  # type: ignore[arg-type]
    assert hotel_registry.register(sample_registration(4, "stay", NOW.isoformat(), unit="102")).ok
    assert _counts(hotel_registry) == (1, 2, 3, 3)


def test_departure_rules(hotel_registry: Registry) -> None:
    reg_id = hotel_registry.register(sample_registration(5, "stay", EARLIER)).registration_id
    assert reg_id is not None
    before_arrival = hotel_registry.depart(reg_id, NOW - timedelta(days=1))
    assert not before_arrival.ok and before_arrival.problems[0].field is not None
    assert hotel_registry.depart(999).problems[0].code == "registration.not_found"
    assert hotel_registry.depart(reg_id).ok
    assert hotel_registry.depart(reg_id).problems[0].code == "registration.already_departed"
    with hotel_registry.store.read() as s:
        types = [e.type for e in s.exec(select(Event).order_by(Event.seq))]
    assert types == ["registration", "departure"]
    departure = hotel_registry.registrations()[0]
    assert departure.departed_at is not None and not departure.present


def test_lists_mask_numbers_and_find_people(hotel_registry: Registry) -> None:
    ids = [hotel_registry.register(sample_registration(i, "stay", EARLIER)).registration_id for i in range(10, 15)]
    assert all(ids)
    rows = hotel_registry.registrations(present_only=True)
    assert len(rows) == 5
    person = sample_registration(12, "stay", EARLIER)["person"]
    row = next(r for r in rows if r.name == person["name"])
    number = person["doc_number"]
    assert row.doc_masked == number[:6] + "********" + number[-4:]
    assert row.phone_masked is not None and "****" in row.phone_masked
    assert [r.id for r in hotel_registry.search(number[-4:])] == [row.id]
    assert row.id in [r.id for r in hotel_registry.search(person["name"][1:])]
    found = hotel_registry.find_by_document("resident_id", number)
    assert [r.id for r in found] == [row.id]
    assert hotel_registry.find_by_document("resident_id", "110105194912310021") == []


def test_outbox_counts_list_every_state(hotel_registry: Registry) -> None:
    hotel_registry.register(sample_registration(20, "stay", EARLIER))
    counts = hotel_registry.outbox_counts()
    assert counts["pending"] == 1 and counts["sent"] == 0 and counts["rejected"] == 0 and "in_flight" in counts


def test_dry_run_checks_everything_and_writes_nothing(hotel_registry: Registry) -> None:
    assert hotel_registry.register(sample_registration(21, "stay", EARLIER)).ok
    dry_same = hotel_registry.register(sample_registration(21, "stay", EARLIER), dry_run=True)
    assert dry_same.problems[0].code == "registration.already_present"
    dry_new = hotel_registry.register(sample_registration(22, "stay", EARLIER), dry_run=True)
    assert dry_new.ok
    assert _counts(hotel_registry) == (1, 1, 1, 1)


def test_times_are_stored_in_utc_and_shown_in_china_time(hotel_registry: Registry) -> None:
    arrived = datetime(2026, 11, 1, 8, 30, tzinfo=CHINA_TIME)
    reg_id = hotel_registry.register(sample_registration(23, "stay", "2026-11-01 08:30")).registration_id
    assert reg_id is not None
    row = hotel_registry.registrations()[0]
    assert row.arrived_at == arrived and row.arrived_at.utcoffset() == timedelta(0)
    assert row.as_dict()["arrived_at"] == "2026-11-01T08:30+08:00"
    assert row.arrived_at.astimezone(UTC).hour == 0


def test_a_child_without_a_document_is_registered_under_the_guardian(hotel_registry: Registry) -> None:
    guardian = sample_registration(30, "stay", EARLIER)["person"]
    child = {"kind": "stay", "unit": "401", "arrived_at": EARLIER,
             "person": {"doc_type": "none_with_guardian", "name": "小明", "sex": "M", "birth_date": "2020-06-01"},
             "guardian": {"doc_type": "resident_id", "doc_number": guardian["doc_number"], "name": guardian["name"]}}
    first = hotel_registry.register(child)
    assert first.ok, first.problems
    assert hotel_registry.register(child).problems[0].code == "registration.already_present"
    with hotel_registry.store.read() as s:
        people = s.exec(select(Person).order_by(Person.id)).all()
    assert [p.doc_type for p in people] == ["resident_id", "none_with_guardian"]
    assert people[1].guardian_id == people[0].id


def test_the_venue_kind_form_says_what_must_be_recorded(private_home) -> None:  # type: ignore[no-untyped-def]
    from agent.store.opening import open_store

    registry = Registry(open_store(private_home, create=True))
    registry.set_venue(VenueDetails(kind="rental", name="幸福公寓"))
    bare = sample_registration(31, "tenancy", EARLIER)
    for key in ("expected_departure", "reason"):
        del bare[key]
    del bare["person"]["phone"]
    outcome = registry.register(bare)
    assert not outcome.ok
    assert {p.field for p in outcome.problems} == {"expected_departure", "person.phone"}
    assert all(p.code == "form.required" for p in outcome.problems)
    assert registry.register(sample_registration(31, "tenancy", EARLIER)).ok
    registry.store.dispose()

"""Retention: people long gone are erased once the platform confirmed everything; nobody else is.

The platform is real (`dengji-receiver` on 127.0.0.1) and events become `sent` the way they do in use:
`dengji send`. Registrations are dated early in 2025, so that today is well past the retention period.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from agent.domain.errors import RetentionError
from agent.duties.retention import DEFAULT_DAYS, plan, purge, retention_days, set_retention_days
from agent.register.records import PURGED_NAME
from agent.register.registry import Registry
from agent.store import audit
from agent.store.models import Event, Person, Registration
from agent.store.opening import open_store
from tests.uploader.processes import Receiver, dengji

ARRIVED = "2025-01-01 10:00"
LEFT = datetime(2025, 1, 2, 10, 0, tzinfo=CHINA_TIME)


def _raw_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.glob("dengji.sqlite3*")))


def _child(index: int, guardian_index: int) -> dict:  # type: ignore[type-arg]
    guardian = sample_registration(guardian_index, "stay", ARRIVED)["person"]
    return {"kind": "stay", "unit": f"5{index:02d}", "arrived_at": ARRIVED,
            "person": {"doc_type": "none_with_guardian", "name": f"小明{index}", "sex": "M", "birth_date": "2020-06-01"},
            "guardian": {"doc_type": "resident_id", "doc_number": guardian["doc_number"], "name": guardian["name"]}}


@dataclass
class Venue:
    desk: Registry
    ids: dict[str, int]


@pytest.fixture
def venue(enrolled_hotel: Receiver, private_home: Path) -> Iterator[Venue]:
    """A hotel whose register holds every case the purge must tell apart."""
    desk = Registry(open_store(private_home), operator="小王")
    ids: dict[str, int] = {}

    def arrive(name: str, payload: dict, leave: bool) -> None:  # type: ignore[type-arg]
        outcome = desk.register(payload)
        assert outcome.ok, outcome.problems
        ids[name] = outcome.registration_id  # type: ignore[assignment]
        if leave:
            assert desk.depart(ids[name], LEFT, late_reason="历史数据补录").ok  # over 72 hours back

    arrive("gone", sample_registration(1, "stay", ARRIVED, unit="101"), leave=True)
    arrive("present", sample_registration(2, "stay", ARRIVED, unit="102"), leave=False)
    arrive("came_back_1", sample_registration(4, "stay", ARRIVED, unit="104"), leave=True)
    arrive("child_gone", _child(1, guardian_index=5), leave=True)  # guardian 5 has no stay of their own
    arrive("guardian_gone", sample_registration(6, "stay", ARRIVED, unit="106"), leave=True)
    arrive("ward_present", _child(2, guardian_index=6), leave=False)
    dengji("send")  # the platform confirms everything so far
    arrive("unsent", sample_registration(3, "stay", ARRIVED, unit="103"), leave=True)
    arrive("came_back_2", sample_registration(4, "stay", "2025-02-01 10:00", unit="204"), leave=False)
    yield Venue(desk, ids)
    desk.store.dispose()


def _person_of(desk: Registry, reg_id: int) -> Person:
    with desk.store.read() as session:
        reg = session.get(Registration, reg_id)
        assert reg is not None
        person = session.get(Person, reg.person_id)
        assert person is not None
        return person


def test_the_dry_run_counts_and_changes_nothing(venue: Venue) -> None:
    store = venue.desk.store
    before = audit.verify(store).count
    dry = plan(store)
    assert dry.days == DEFAULT_DAYS == retention_days(store)
    assert set(dry.registrations) == {venue.ids[k] for k in ("gone", "came_back_1", "child_gone", "guardian_gone")}
    assert dry.people == 3  # the guest who left, the child, and the child's guardian
    assert dry.waiting == 1  # the departure not yet sent
    assert dry.events == 8
    assert audit.verify(store).count == before
    assert plan(store).registrations == dry.registrations  # nothing was erased


def test_purge_erases_only_the_confirmed_and_long_gone(venue: Venue, private_home: Path) -> None:
    desk, ids = venue.desk, venue.ids
    gone = _person_of(desk, ids["gone"])
    with desk.store.read() as session:
        gone_events = session.exec(select(Event.payload_sealed).where(Event.registration_id == ids["gone"])).all()
    secrets = [gone.name_sealed, gone.doc_number_sealed, gone.phone_sealed, *gone_events]
    assert all(s and s in _raw_bytes(private_home) for s in secrets)

    done = purge(desk.store, operator="system")
    assert len(done.registrations) == 4 and done.people == 3

    raw = _raw_bytes(private_home)
    for sealed in secrets:
        assert sealed is not None and sealed not in raw, "an erased ciphertext is still in the database files"
    erased = _person_of(desk, ids["gone"])
    assert (erased.name_sealed, erased.doc_number_sealed, erased.doc_index, erased.doc_masked) == (b"", None, None, "-")
    assert erased.purged_at is not None

    views = {v.id: v for v in desk.registrations()}
    assert len(views) == len(ids)  # the rows stay: the counts an inspector may ask for
    assert views[ids["gone"]].name == PURGED_NAME and views[ids["gone"]].purged
    assert views[ids["child_gone"]].name == PURGED_NAME
    # The unsent, the present, and anyone with a present stay or a present ward keep their data.
    for kept in ("present", "unsent", "came_back_1", "came_back_2", "guardian_gone", "ward_present"):
        assert views[ids[kept]].name not in ("", PURGED_NAME), kept
        assert _person_of(desk, ids[kept]).purged_at is None
    assert views[ids["came_back_1"]].purged  # its old stay's events are erased all the same
    with desk.store.read() as session:
        emptied = session.exec(select(Event.seq).where(Event.payload_sealed == b"")).all()
        kept_payloads = session.exec(select(Event.payload_sealed).where(
            col(Event.registration_id).in_([ids["unsent"], ids["present"]]))).all()
    assert len(emptied) == 8 and all(kept_payloads)
    assert desk.find_by_document("resident_id", sample_registration(1, "stay", ARRIVED)["person"]["doc_number"]) == []

    verdict = audit.verify(desk.store)
    assert verdict.intact, verdict.broken
    purges = [e for e in audit.entries(desk.store) if e.action == "purge"]
    assert {e.registration_id for e in purges} == {*done.registrations, None}
    assert purge(desk.store, operator="system").registrations == ()  # nothing twice


def test_nothing_unsent_is_purged_even_much_later(venue: Venue) -> None:
    later = datetime.now(CHINA_TIME) + timedelta(days=3650)
    done = purge(venue.desk.store, operator="system", now=later)
    assert venue.ids["unsent"] not in done.registrations and done.waiting == 1
    assert venue.ids["present"] not in done.registrations


def test_a_person_who_came_back_is_erased_once_the_new_stay_is_old_too(venue: Venue) -> None:
    desk, ids = venue.desk, venue.ids
    purge(desk.store, operator="system")
    assert desk.depart(ids["came_back_2"], datetime(2025, 2, 2, 10, 0, tzinfo=CHINA_TIME), late_reason="补录").ok
    dengji("send")
    done = purge(desk.store, operator="system")
    assert ids["came_back_2"] in done.registrations and ids["unsent"] in done.registrations
    assert _person_of(desk, ids["came_back_2"]).purged_at is not None


def test_the_retention_period_is_a_setting_within_bounds(venue: Venue) -> None:
    store = venue.desk.store
    with pytest.raises(RetentionError, match="30 to 3650"):
        set_retention_days(store, 7, operator="老板")
    set_retention_days(store, 3650, operator="老板")
    assert retention_days(store) == 3650 and plan(store).registrations == ()
    last = audit.entries(store)[-1]
    assert (last.action, last.operator, last.as_dict()["detail"]) == (
        "setting", "老板", {"name": "retention_days", "value": 3650})


def test_the_daemon_purges_on_its_schedule(venue: Venue) -> None:
    from uploader.daemon import Daemon, DaemonSettings

    async def run() -> None:
        daemon = Daemon(venue.desk.store, DaemonSettings(handle_signals=False, purge_delay=0))
        task = asyncio.ensure_future(daemon.run())
        await asyncio.wait_for(daemon.purged.wait(), timeout=60)
        daemon.stop.set()
        assert await asyncio.wait_for(task, timeout=30) == 0

    asyncio.run(run())
    assert _person_of(venue.desk, venue.ids["gone"]).purged_at is not None
    entry = next(e for e in audit.entries(venue.desk.store) if e.action == "purge")
    assert entry.operator == "system"

"""The audit trail: every action is in it, with no personal data, and an edit of the raw file is named.

Tampering is done as an intruder would: with the sqlite3 module on the database file, after dropping
the append-only triggers.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from agent.register.registry import Registry
from agent.store import audit
from agent.store.models import AuditEntry, Event

NOW = datetime.now(CHINA_TIME).replace(second=0, microsecond=0)
EARLIER = (NOW - timedelta(hours=3)).isoformat()


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "dengji.sqlite3", isolation_level=None)


def _drop_triggers(db: sqlite3.Connection) -> None:
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("DROP TRIGGER audit_no_delete")


@pytest.fixture
def busy_hotel(hotel_registry: Registry) -> Registry:
    """Three guests registered, one departed: audit entries 1 (venue), 2-4 (registrations), 5 (departure)."""
    desk = Registry(hotel_registry.store, operator="前台小王")
    ids = [desk.register(sample_registration(i, "stay", EARLIER, unit=f"30{i}")).registration_id for i in range(3)]
    assert all(ids)
    assert desk.depart(ids[0]).ok  # type: ignore[arg-type]
    return desk


def test_each_action_is_entered_with_operator_registration_and_digest(busy_hotel: Registry) -> None:
    entries = audit.entries(busy_hotel.store)
    assert [e.action for e in entries] == ["venue", "registration", "registration", "registration", "departure"]
    assert [e.operator for e in entries[1:]] == ["前台小王"] * 4
    with busy_hotel.store.read() as session:
        events = session.exec(select(Event).order_by(Event.seq)).all()  # type: ignore[arg-type]
    for entry, event in zip(entries[1:], events, strict=True):
        assert (entry.event_seq, entry.registration_id) == (event.seq, event.registration_id)
        assert entry.digest == hashlib.sha256(event.payload_sealed).hexdigest()
    verdict = audit.verify(busy_hotel.store)
    assert verdict.intact and verdict.count == 5 and verdict.head_hash == entries[-1].hash


def test_the_trail_holds_no_personal_data(busy_hotel: Registry, private_home: Path) -> None:
    person = sample_registration(1, "stay", EARLIER)["person"]
    rows = _db(private_home).execute("SELECT * FROM audit").fetchall()
    text = repr(rows)
    for secret in (person["name"], person["doc_number"], person["doc_number"][-4:], person["phone"]):
        assert secret not in text


def test_a_refused_registration_leaves_no_entry(busy_hotel: Registry) -> None:
    before = len(audit.entries(busy_hotel.store))
    again = busy_hotel.register(sample_registration(1, "stay", EARLIER))  # already present
    assert not again.ok
    assert len(audit.entries(busy_hotel.store)) == before


def test_triggers_refuse_update_and_delete(busy_hotel: Registry, private_home: Path) -> None:
    db = _db(private_home)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET operator = 'someone else' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit WHERE seq = 5")


def test_an_edited_entry_is_named(busy_hotel: Registry, private_home: Path) -> None:
    db = _db(private_home)
    _drop_triggers(db)
    db.execute("UPDATE audit SET operator = 'owner' WHERE seq = 3")
    verdict = audit.verify(busy_hotel.store)
    assert not verdict.intact and verdict.broken is not None
    assert verdict.broken.seq == 3 and "entry 3 was edited" in verdict.broken.en
    assert verdict.warnings  # the triggers are gone, and verify says so


def test_a_deleted_entry_is_named(busy_hotel: Registry, private_home: Path) -> None:
    db = _db(private_home)
    _drop_triggers(db)
    db.execute("DELETE FROM audit WHERE seq = 2")
    broken = audit.verify(busy_hotel.store).broken
    assert broken is not None and broken.seq == 2 and "missing" in broken.en


def test_a_deleted_last_entry_is_found_through_its_event(busy_hotel: Registry, private_home: Path) -> None:
    db = _db(private_home)
    _drop_triggers(db)
    db.execute("DELETE FROM audit WHERE seq = 5")  # the departure's entry: the chain alone still holds
    broken = audit.verify(busy_hotel.store).broken
    assert broken is not None and "has no audit entry" in broken.en


def test_an_edited_event_is_named_by_its_entry(busy_hotel: Registry, private_home: Path) -> None:
    db = _db(private_home)
    db.execute("UPDATE event SET payload_sealed = (SELECT payload_sealed FROM event WHERE seq = 1) WHERE seq = 2")
    broken = audit.verify(busy_hotel.store).broken
    assert broken is not None and broken.seq == 3 and "event 2 was changed" in broken.en
    db.execute("UPDATE event SET operator = 'owner', payload_sealed = (SELECT payload_sealed FROM event "
               "WHERE seq = 1) WHERE seq = 1")
    broken = audit.verify(busy_hotel.store).broken
    assert broken is not None and broken.seq == 2 and "operator" in broken.en


def test_a_chain_rewritten_to_the_end_is_caught_by_an_anchor(busy_hotel: Registry, private_home: Path) -> None:
    anchor = (4, audit.entries(busy_hotel.store)[3].hash)  # the head as written down after entry 4
    db = _db(private_home)
    _drop_triggers(db)
    rows = db.execute("SELECT seq, at, operator, action, registration_id, event_seq, digest, detail, prev_hash "
                      "FROM audit ORDER BY seq").fetchall()
    prev = rows[2][-1]
    for seq, at, _op, action, reg, event_seq, digest, detail, _prev in rows[2:]:  # rewrite from entry 3 on
        at_time = datetime.fromisoformat(at).replace(tzinfo=UTC)  # stored as UTC without an offset
        entry_hash = audit.link(prev, audit.canonical(seq, at_time, "owner", action, reg, event_seq, digest, detail))
        db.execute("UPDATE audit SET operator = 'owner', prev_hash = ?, hash = ? WHERE seq = ?",
                   (prev, entry_hash, seq))
        prev = entry_hash
    db.execute("UPDATE event SET operator = 'owner' WHERE seq >= 2")
    assert audit.verify(busy_hotel.store).intact, audit.verify(busy_hotel.store).broken  # a full rewrite fools the chain on its own...
    broken = audit.verify(busy_hotel.store, anchor=anchor).broken  # ...but not the hash written down
    assert broken is not None and broken.seq == 4 and "rewritten" in broken.en


def test_an_export_is_entered_with_the_file_digest(busy_hotel: Registry, tmp_path: Path) -> None:
    from agent.sheets.export import write_register

    target = tmp_path / "register.csv"
    assert write_register(busy_hotel, target, "csv") == 3
    entry = audit.entries(busy_hotel.store)[-1]
    assert entry.action == "export" and entry.operator == "前台小王"
    assert entry.digest == hashlib.sha256(target.read_bytes()).hexdigest()
    assert entry.as_dict()["detail"] == {"format": "csv", "rows": 3, "from": None, "to": None}
    assert audit.verify(busy_hotel.store).intact


def test_entries_of_one_registration(busy_hotel: Registry) -> None:
    first = busy_hotel.registrations()[-1].id
    assert [e.action for e in audit.entries(busy_hotel.store, registration_id=first)] == ["registration", "departure"]
    assert [e.seq for e in audit.entries(busy_hotel.store, last=2)] == [4, 5]
    with busy_hotel.store.read() as session:
        assert session.exec(select(AuditEntry.seq).order_by(AuditEntry.seq)).all() == [1, 2, 3, 4, 5]  # type: ignore[arg-type]

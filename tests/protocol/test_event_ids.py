"""Event ids are UUID version 7: canonical text the platform accepts, ordered by the time they were made."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from agent.domain import EventType
from agent.domain.event_ids import new_event_id
from protocol.messages import check_event_shape, new_event


def test_an_event_id_is_a_canonical_version_7_uuid() -> None:
    text = new_event_id()
    parsed = uuid.UUID(text)
    assert str(parsed) == text
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_the_id_begins_with_the_unix_milliseconds_it_was_made_at() -> None:
    made = datetime(2026, 11, 25, 8, 0, 0, 123000, tzinfo=UTC)
    nanos = int(made.timestamp()) * 1_000_000_000 + 123_000_000
    assert uuid.UUID(new_event_id(nanos)).int >> 80 == nanos // 1_000_000


def test_ids_made_a_millisecond_apart_sort_in_that_order_and_never_repeat() -> None:
    start = 1_795_000_000_000 * 1_000_000
    ids = [new_event_id(start + k * 1_000_000) for k in range(1000)]
    assert ids == sorted(ids)
    same_moment = {new_event_id(start) for _ in range(1000)}
    assert len(same_moment) == 1000


def test_the_platform_accepts_the_agents_ids() -> None:
    event = new_event(EventType.NO_ARRIVALS, {"date": "2026-11-24"}, datetime.now(UTC))
    assert uuid.UUID(event.event_id).version == 7
    assert check_event_shape(event) is None

"""The platform's records for what happens to a stay after its registration: visits, room changes,
extensions, undone departures (`agent.validation.stay_events` holds the rules, shared with the agent).

`StayRecords` is made for one batch inside its write transaction (`receiver.ingest._decide`): it loads
the visits the batch names and the departures it undoes, applies each event in order against them and
the registration it concerns, and gives back the visits to write. A rule that needs these records is
checked here; a rule on the event alone was checked before (`receiver.content`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from agent.domain import EventType
from agent.domain.problems import Problem
from agent.validation.stay_events import (
    check_departure_undo,
    check_extension,
    check_unit_change,
    check_visit_end,
)
from receiver.storage import Storage, iso

HOST_DEPARTED = Problem("visit.host_departed", "被访人已离开：不能登记对其的访问。",
                        "The person visited has left: a visit to them cannot be recorded.", "registration_id")
VISIT_BEFORE_HOST = Problem("visit.before_host_arrival", "到访时间早于被访人的到达时间，请核对。",
                            "The visit begins before the person visited arrived; check the time.", "arrived_at")
VISIT_EXISTS = Problem("visit.exists", "这个访客登记编号已经上报过。", "This visit id was already reported.", "visit_id")
VISIT_UNKNOWN = Problem("visit.unknown", "平台没有这条访客登记（编号未知，或不是对这位被访人的访问），请先上报访客登记。",
                        "The platform holds no such visit (unknown id, or a visit to someone else); report the "
                        "visit first.", "visit_id")
VISIT_ENDED = Problem("visit.already_ended", "这位访客的离开已经上报过。", "This visitor's leaving was already reported.",
                      "visit_id")
STAY_ENDED = Problem("registration.departed", "这条登记已办理离开：不能再换房或续住。",
                     "This stay has already ended: it cannot change room or be extended.", "registration_id")
NOT_DEPARTED = Problem("departure_cancelled.not_departed", "这条登记没有离开记录，无可撤销。",
                       "This stay has no departure to undo.", "registration_id")
UNKNOWN_DEPARTURE = Problem("departure_cancelled.unknown_departure",
                            "要撤销的离开事件不是这条登记的离开（cancels 编号未知）。",
                            "The departure to undo is not this stay's (unknown cancels id).", "cancels")
NOT_LATEST = Problem("departure_cancelled.not_latest", "只能撤销这条登记最近一次的离开。",
                     "Only the stay's latest departure can be undone.", "cancels")

_VISITING = (EventType.VISIT, EventType.VISIT_END)


class _Stay(Protocol):
    """What `receiver.ingest` keeps of a registration while a batch is decided."""

    arrived_at: str | None
    departed_at: str | None


class _Item(Protocol):
    event_id: str
    type: Any
    problem: Problem | None
    registration_id: str | None
    occurred_at: str | None
    data: str | None
    arrived_at: str | None
    departed_at: str | None


@dataclass
class _Visit:
    registration_id: str
    arrived_at: str
    left_at: str | None
    last_event_id: str
    changed: bool = False


@dataclass(frozen=True)
class _Departure:
    registration_id: str | None
    occurred_at: str
    departed_at: str | None  # as stored (`iso`)


def _data(item: _Item) -> dict[str, Any]:
    return json.loads(item.data) if item.data else {}


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


class StayRecords:
    """The visits and departures one batch's stay events need, loaded once, changed as events apply."""

    def __init__(self, storage: Storage, conn: Connection, device_id: str, items: list[Any]) -> None:
        visit_ids, cancelled = set(), set()
        for item in items:
            if item.problem is not None or item.type not in _KINDS:
                continue
            kind = _KINDS[item.type]
            data = _data(item)
            if kind in _VISITING:
                visit_ids.add(data["visit_id"])
            elif kind is EventType.DEPARTURE_CANCELLED:
                cancelled.add(data["cancels"])
        self.visits = {vid: _Visit(rid, arrived, left, last)
                       for vid, rid, arrived, left, last in storage.visits_of(conn, device_id, sorted(visit_ids))}
        self._departures: dict[str, _Departure] = {}
        for event_id, kind, rid, occurred_at, data in storage.events_of(conn, device_id, sorted(cancelled)):
            if kind == EventType.DEPARTED.value:
                departed = json.loads(data).get("departed_at")
                self._departures[event_id] = _Departure(rid, occurred_at, iso(_moment(departed)) if departed else None)

    def departed(self, item: _Item) -> None:
        """Remember a departure accepted in this batch: an undo later in the batch may name it."""
        assert item.occurred_at is not None
        self._departures[item.event_id] = _Departure(item.registration_id, item.occurred_at, item.departed_at)

    def apply(self, item: _Item, kind: EventType, current: _Stay, now: datetime) -> Problem | None:
        """Apply one stay event to the registration it concerns (`current`, known and not cancelled) and
        to the visits; the problem when the records forbid it."""
        data = _data(item)
        assert item.occurred_at is not None
        recorded_at = _moment(item.occurred_at)
        if kind is EventType.VISIT:
            return self._visit(item, data, current)
        if kind is EventType.VISIT_END:
            visit = self.visits.get(data["visit_id"])
            if visit is None or visit.registration_id != item.registration_id:
                return VISIT_UNKNOWN
            if visit.left_at is not None:
                return VISIT_ENDED
            problems = check_visit_end(_moment(visit.arrived_at), data["left_at"], now)
            if problems:
                return problems[0]
            assert item.departed_at is not None
            visit.left_at, visit.last_event_id, visit.changed = item.departed_at, item.event_id, True
            return None
        if kind is EventType.DEPARTURE_CANCELLED:
            return self._undo(data, current, recorded_at)
        if current.departed_at is not None:
            return STAY_ENDED
        arrived = _moment(current.arrived_at) if current.arrived_at else recorded_at
        if kind is EventType.UNIT_CHANGED:
            previous = data.get("previous_unit")
            _, problems = check_unit_change(arrived, data["moved_at"], data["unit"],
                                            previous if isinstance(previous, str) else None, now)
        else:  # a stay extended, measured against the time the venue recorded it
            _, problems = check_extension(arrived, data["expected_departure"], recorded_at)
        return problems[0] if problems else None

    def rows(self, device_id: str) -> list[tuple[Any, ...]]:
        """The visits changed by the batch, in `receiver.storage.VISIT_COLUMNS` order."""
        return [(device_id, vid, v.registration_id, v.arrived_at, v.left_at, v.last_event_id)
                for vid, v in self.visits.items() if v.changed]

    def _visit(self, item: _Item, data: dict[str, Any], current: _Stay) -> Problem | None:
        if current.departed_at is not None:
            return HOST_DEPARTED
        if data["visit_id"] in self.visits:
            return VISIT_EXISTS
        assert item.arrived_at is not None and item.registration_id is not None
        if current.arrived_at is not None and item.arrived_at < current.arrived_at:
            return VISIT_BEFORE_HOST
        self.visits[data["visit_id"]] = _Visit(item.registration_id, item.arrived_at, None, item.event_id, True)
        return None

    def _undo(self, data: dict[str, Any], current: _Stay, recorded_at: datetime) -> Problem | None:
        if current.departed_at is None:
            return NOT_DEPARTED
        departure = self._departures.get(data["cancels"])
        if departure is None or departure.registration_id != data.get("registration_id"):
            return UNKNOWN_DEPARTURE
        if departure.departed_at != current.departed_at:
            return NOT_LATEST
        problems = check_departure_undo(_moment(departure.occurred_at), recorded_at)
        if problems:
            return problems[0]
        current.departed_at = None
        return None


_KINDS = {kind.value: kind for kind in (EventType.VISIT, EventType.VISIT_END, EventType.UNIT_CHANGED,
                                        EventType.STAY_EXTENDED, EventType.DEPARTURE_CANCELLED)}
STAY_EVENTS = frozenset(_KINDS.values())

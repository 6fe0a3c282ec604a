"""Shapes of protocol v1 messages: batches of events, receipts, enrollment, permit checks.

Both sides build and read messages through this module, so that a field name lives in one place.
Shape checks here are structural (is it a UUID, an ISO 8601 time with an offset, an object with a
`registration_id`); whether a registration is *right* is for `agent.validation`, which the receiver
runs on top.

A batch in plain text, before compression and sealing:

    {"device_id": "dev_...", "batch_id": "<uuid>", "dry_run": false,
     "events": [{"event_id": "<uuid>", "type": "registration",
                 "occurred_at": "2025-03-01T14:05:00+08:00", "data": {...}}]}

>>> batch = Batch("dev_1", "5f0c6c3e-8a4e-4d51-9d3a-1f9f4f0e2a10", (
...     Event("0b5e1c1a-7c1e-4e55-8f57-5d7f3a1b2c3d", "no_arrivals_report", "2025-03-01T23:00:00+08:00",
...           {"date": "2025-03-01"}),))
>>> parse_batch(batch.to_json()) == batch
True
>>> check_event_shape(batch.events[0]) is None
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from agent.domain import EventType
from agent.domain.event_ids import new_event_id
from agent.domain.problems import Problem
from protocol import json_text
from protocol.keys import PlatformKey

PROTOCOL = "dengji/1"
MAX_EVENTS_PER_BATCH = 2000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

EVENT_TYPES = {kind.value: kind for kind in EventType}  # a dict look-up: an enum call costs 5x more

# Keys of `data` that belong to the protocol, not to the registration payload the validators check.
ENVELOPE_KEYS = ("registration_id", "corrects")


class MalformedMessage(ValueError):
    """A message that cannot be read at all; `code` is a `protocol.refusals` code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class Event(NamedTuple):
    """One thing that happened at the venue, as the platform receives it. (A named tuple: the platform
    builds 500 to 2000 of them a batch, and a frozen dataclass costs three times as much.)"""

    event_id: str
    type: Any  # an `EventType` value when well formed; whatever arrived otherwise
    occurred_at: Any  # ISO 8601 text with an offset when well formed
    data: Any  # an object when well formed
    problem: Problem | None = None  # what `parse_batch` found wrong with the event's text, if anything

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "type": self.type, "occurred_at": self.occurred_at,
                "data": self.data}


def new_event(event_type: EventType, data: Mapping[str, Any], occurred_at: datetime,
              event_id: str | None = None) -> Event:
    """A well-formed event; `occurred_at` must carry its offset (the agent uses China time)."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at needs a time zone offset")
    return Event(event_id or new_event_id(), EventType(event_type).value, occurred_at.isoformat(),
                 dict(data))


@dataclass(frozen=True)
class Batch:
    """Events sent in one request; `batch_id` is also the request's Idempotency-Key."""

    device_id: str
    batch_id: str
    events: tuple[Event, ...]
    dry_run: bool = False

    def to_json(self) -> bytes:
        """The batch as compact JSON. An event whose `data` is `EncodedData` is written as it stands."""
        head = _encode({"device_id": self.device_id, "batch_id": self.batch_id})
        events = ",".join(f'{{"event_id":{_encode(e.event_id)},"type":{_encode(e.type)},'
                          f'"occurred_at":{_encode(e.occurred_at)},'
                          f'"data":{e.data if isinstance(e.data, EncodedData) else _encode(e.data)}}}'
                          for e in self.events)
        tail = ',"dry_run":true' if self.dry_run else ""
        return f'{head[:-1]},"events":[{events}]{tail}}}'.encode("utf-8")


class EncodedData(str):
    """Event data already encoded as a JSON object, as the agent stores it: written into a batch as it
    stands. Decoding 2000 payloads only to encode them again was a quarter of the uploader's CPU per
    batch (13 of 52 µs an event), on a machine the venue also works on."""


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def parse_json_object(raw: bytes, code: str) -> dict[str, Any]:
    """A JSON object from bytes, or `MalformedMessage(code)`; never any other exception."""
    try:
        value = json_text.read(raw)
    except (ValueError, RecursionError):
        raise MalformedMessage(code, "not JSON") from None
    if not isinstance(value, dict):
        raise MalformedMessage(code, "not a JSON object")
    return value


MAX_DATA_DEPTH = 32  # containers nested in an event's data, the data object itself included

LONE_SURROGATE = Problem("event.bad_text", "事件含有无效的文字（孤立的 UTF-16 代理码位），请检查后重新上报。",
                         "The event holds text that is not valid Unicode (a lone surrogate); check it and send "
                         "it again.")
TOO_DEEP = Problem("event.too_deep", f"事件内容嵌套超过 {MAX_DATA_DEPTH} 层。",
                   f"The event data is nested more than {MAX_DATA_DEPTH} levels deep.", "data")


def holds_lone_surrogate(value: Any) -> bool:
    """True when a string anywhere in `value` (a key included) holds a lone surrogate: JSON escapes can
    write one (`"\\ud800"`), UTF-8 cannot carry it, so it could be neither stored nor answered. (A loop,
    not a recursion: the value may be nested a thousand deep.)"""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item) is not None:
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def nests_deeper_than(value: Any, depth: int) -> bool:
    """True when `value` nests objects and arrays more than `depth` deep (`value` itself counts one)."""
    if not isinstance(value, dict | list):
        return False
    if depth <= 0:
        return True
    return any(nests_deeper_than(item, depth - 1) for item in (value.values() if isinstance(value, dict) else value))


def _representable(text: str) -> str:
    """`text` with each lone surrogate written out as `\\udxxx`: an id a receipt can carry in UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def parse_batch(plaintext: bytes) -> Batch:
    """The batch in an opened body. Only what makes the batch unreadable as a whole is refused here;
    a bad event is left for `check_event_shape`, so that it gets its own receipt.

    An event holding a lone surrogate gets the `LONE_SURROGATE` problem (and its id, if it is the id,
    written out so that the receipt can name it). Only a body with a `\\u` escape or a 0xED byte can
    hold one, so the events of every other body are not searched: the common case costs two byte
    searches for the whole batch."""
    value = parse_json_object(plaintext, "batch.malformed")
    device_id, batch_id, events = value.get("device_id"), value.get("batch_id"), value.get("events")
    dry_run = value.get("dry_run", False)
    if not isinstance(device_id, str) or not isinstance(batch_id, str) or not isinstance(dry_run, bool):
        raise MalformedMessage("batch.malformed", "device_id and batch_id must be strings")
    if not isinstance(events, list) or not 0 < len(events) <= MAX_EVENTS_PER_BATCH:
        raise MalformedMessage("batch.malformed", f"events must be a list of 1..{MAX_EVENTS_PER_BATCH}")
    may_hold_surrogates = b"\\u" in plaintext or b"\xed" in plaintext
    parsed = []
    for item in events:
        # Without a string event id no receipt could name the event: the batch as a whole is unreadable.
        if not isinstance(item, dict) or not isinstance(item.get("event_id"), str) \
                or not 0 < len(item["event_id"]) <= 64:
            raise MalformedMessage("batch.malformed", "every event needs an event_id string")
        event = Event(item["event_id"], item.get("type"), item.get("occurred_at"), item.get("data"))
        if may_hold_surrogates and holds_lone_surrogate(item):
            event = event._replace(event_id=_representable(event.event_id), problem=LONE_SURROGATE)
        parsed.append(event)
    return Batch(device_id, batch_id, tuple(parsed), dry_run)


def _problem(code: str, zh: str, en: str, field_name: str | None = None) -> Problem:
    return Problem(code, zh, en, field_name)


def parse_time(text: object) -> datetime | None:
    """An ISO 8601 date-time with an explicit offset, or None."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None and moment.utcoffset() is not None else None


def parse_date(text: object) -> date | None:
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _is_canonical_uuid(value: object) -> bool:
    """True for a UUID in its canonical text (lower case, hyphenated): what `str(uuid.UUID(...))` gives,
    checked by one pattern instead of parsing and printing it (done for every event received)."""
    return isinstance(value, str) and _CANONICAL_UUID.fullmatch(value) is not None


def check_event_shape(event: Event) -> Problem | None:
    """What is structurally wrong with one event, or None. Content rules are not checked here, nor the
    data's depth (`nests_deeper_than`), which is checked on its stored form (`receiver.content`)."""
    if event.problem is not None:
        return event.problem
    if not _is_canonical_uuid(event.event_id):
        return _problem("event.bad_id", "事件编号必须是小写 UUID。", "The event id must be a lower-case UUID.",
                        "event_id")
    kind = EVENT_TYPES.get(event.type) if isinstance(event.type, str) else None
    if kind is None:
        return _problem("event.unknown_type", "不认识的事件类型。", "Unknown event type.", "type")
    if parse_time(event.occurred_at) is None:
        return _problem("event.bad_time", "事件时间必须是带时区的 ISO 8601 时间。",
                        "occurred_at must be an ISO 8601 time with a UTC offset.", "occurred_at")
    data = event.data
    if not isinstance(data, dict):
        return _problem("event.bad_data", "事件内容必须是 JSON 对象。", "The event data must be an object.",
                        "data")
    if kind is EventType.NO_ARRIVALS:
        if parse_date(data.get("date")) is None:
            return _problem("event.bad_data", "无入住上报需要日期（YYYY-MM-DD）。",
                            "A no-arrivals report needs a date (YYYY-MM-DD).", "date")
        return None
    registration_id = data.get("registration_id")
    if not isinstance(registration_id, str) or not 0 < len(registration_id) <= 64 \
            or not registration_id.isprintable():
        return _problem("event.bad_data", "缺少登记编号（registration_id）。",
                        "The registration_id is missing.", "registration_id")
    if kind is EventType.DEPARTED and parse_time(data.get("departed_at")) is None:
        return _problem("event.bad_data", "离开时间必须是带时区的 ISO 8601 时间。",
                        "departed_at must be an ISO 8601 time with a UTC offset.", "departed_at")
    if kind is EventType.DEPARTED and not isinstance(data.get("late_reason", ""), str):
        return _problem("event.bad_data", "迟报原因（late_reason）应为文字。", "late_reason must be text.",
                        "late_reason")
    if kind is EventType.CANCELLED and (not isinstance(data.get("reason"), str) or not data["reason"].strip()):
        return _problem("event.bad_data", "撤销登记需要说明原因。", "A cancellation needs a reason.", "reason")
    if kind is EventType.CORRECTED:
        if not _is_canonical_uuid(data.get("corrects")):
            return _problem("event.bad_data", "更正需要注明被退回事件的编号（corrects）。",
                            "A correction must name the rejected event it corrects (corrects).", "corrects")
    if kind in STAY_EVENT_TIMES:
        return _stay_event_shape(kind, data)
    return None


# The events of a stay after its registration (`agent.validation.stay_events`) and the time each carries.
STAY_EVENT_TIMES = {EventType.VISIT: "arrived_at", EventType.VISIT_END: "left_at", EventType.UNIT_CHANGED: "moved_at",
                    EventType.STAY_EXTENDED: "expected_departure", EventType.DEPARTURE_CANCELLED: None}
_VISITS = (EventType.VISIT, EventType.VISIT_END)


def _stay_event_shape(kind: EventType, data: Mapping[str, Any]) -> Problem | None:
    """The structure of a visit, a visit's end, a room change, an extension or an undone departure: the
    keys each needs, of the right kind; and `corrects`, when given, an event id."""
    if kind in _VISITS:
        visit_id = data.get("visit_id")
        if not isinstance(visit_id, str) or not 0 < len(visit_id) <= 64 or not visit_id.isprintable():
            return _problem("event.bad_data", "缺少访客登记编号（visit_id）。", "The visit_id is missing.", "visit_id")
    if kind is EventType.VISIT and not isinstance(data.get("visitor"), dict):
        return _problem("event.bad_data", "访客登记需要访客信息（visitor）。", "A visit needs its visitor (visitor).",
                        "visitor")
    if kind is EventType.UNIT_CHANGED and not isinstance(data.get("unit"), str):
        return _problem("event.bad_data", "换房需要新的房间/单元（unit）。", "A room change needs the new unit (unit).",
                        "unit")
    time_key = STAY_EVENT_TIMES[kind]
    if time_key is not None and parse_time(data.get(time_key)) is None:
        return _problem("event.bad_data", f"{time_key} 必须是带时区的 ISO 8601 时间。",
                        f"{time_key} must be an ISO 8601 time with a UTC offset.", time_key)
    if kind is EventType.DEPARTURE_CANCELLED and not _is_canonical_uuid(data.get("cancels")):
        return _problem("event.bad_data", "撤销离开需要注明被撤销的离开事件编号（cancels）。",
                        "An undone departure must name the departure event it cancels (cancels).", "cancels")
    if "corrects" in data and not _is_canonical_uuid(data["corrects"]):
        return _problem("event.bad_data", "corrects 必须是被退回事件的编号。",
                        "corrects must be the id of the rejected event.", "corrects")
    return None


def registration_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """The registration payload the validators check: the event data without the protocol's keys."""
    return {key: value for key, value in data.items() if key not in ENVELOPE_KEYS}


class ReceiptStatus(StrEnum):
    ACCEPTED = "accepted"  # recorded now: final
    DUPLICATE = "duplicate"  # recorded before (same event id): final
    REJECTED = "rejected"  # not recorded; the code says why and how to fix it
    VALID = "valid"  # dry run only: would be accepted, nothing was recorded


class Receipt(NamedTuple):
    """The platform's word on one event. (A named tuple: the agent reads up to 2000 from every answer.)"""

    event_id: str
    status: ReceiptStatus
    problem: Problem | None = None
    batch_id: str = ""
    received_at: str = ""
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        value: dict[str, Any] = {"event_id": self.event_id, "status": self.status.value}
        if self.problem is not None:
            value.update(code=self.problem.code, zh=self.problem.zh, en=self.problem.en,
                         field=self.problem.field)
        return value


@dataclass(frozen=True)
class Enrollment:
    """What a device learns when it enrolls: its id, the platform key, the receipt key to pin."""

    device_id: str
    platform_key: PlatformKey
    receipt_key_id: str
    receipt_public_key: str
    suites: tuple[str, ...] = field(default_factory=tuple)
    receipt_sm2_public_key: str = ""  # the receipt key's SM2 half (base64 point), when the platform has one

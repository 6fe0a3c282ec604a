"""What the platform checks in each event before recording it: the same rules as the agent.

The receiver does not trust the agent's checks: it runs the agent's own validators
(`agent.validation.registration`) on every registration, update and correction, the departure rule on
every departure (a `late_reason` when it is more than 72 hours back), and the visit's checks on every
visit (`agent.validation.stay_events`). A rejected event's receipt carries the validator's `Problem`:
its code and its zh/en message, which never quote the personal number. Rules that need the platform's
records (is this registration known, when did the person arrive, is the visit open, when was the
departure undone recorded) are applied in `receiver.ingest` and `receiver.stay_events`, inside the
write transaction.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, NamedTuple

from agent.domain import CHINA_TIME, EventType, VenueSubtype
from agent.domain.problems import Problem, Severity
from agent.validation.arrival_rules import NO_VENUE, VenueRules
from agent.validation.registration import check_departure, check_registration
from agent.validation.stay_events import check_late_departure, check_visit
from protocol import json_text
from protocol.messages import (
    ENVELOPE_KEYS,
    EVENT_TYPES,
    MAX_DATA_DEPTH,
    TOO_DEEP,
    Event,
    check_event_shape,
    nests_deeper_than,
    parse_date,
    parse_time,
    registration_payload,
)

REGISTERING = {EventType.REGISTERED, EventType.UPDATED, EventType.CORRECTED}
# The protocol's keys of a visit's data; the rest is the visit the shared validator checks.
VISIT_ENVELOPE = ("registration_id", "visit_id", "corrects")


class Checked(NamedTuple):
    """One event after its content checks: a problem, or the facts the registration rules need and its
    data as stored. A tuple: it crosses from the checker processes, 500 to 2000 a batch."""

    problem: Problem | None
    arrived_at: datetime | None = None
    departed_at: datetime | None = None
    data: str = ""  # the event's data as stored (compact JSON), when the checks passed


def _stored(data: Any) -> str | Problem:
    """The data as stored, or `TOO_DEEP`. The text bounds the depth: with at most `MAX_DATA_DEPTH`
    brackets in it, the data cannot nest deeper, so only a rare text with more is walked (0.1 µs an
    event instead of 2). A thousand levels are too deep for the standard library's writer, which
    writes what orjson will not (254 levels and more): its RecursionError means the same."""
    try:
        text = json_text.compact(data)
    except RecursionError:
        return TOO_DEEP
    if text.count("{") + text.count("[") > MAX_DATA_DEPTH and nests_deeper_than(data, MAX_DATA_DEPTH):
        return TOO_DEEP
    return text


OUT_OF_RANGE = Problem("event.bad_time", "事件中的时间超出可记录的范围，请核对年份。",
                      "A time in the event is outside the range that can be recorded; check the year.")


def _passed(data: Any, arrived_at: datetime | None = None, departed_at: datetime | None = None) -> Checked:
    try:  # stored in UTC (`receiver.storage.iso`): year 1 at +08:00 has no UTC form
        for moment in (arrived_at, departed_at):
            if moment is not None:
                moment.astimezone(timezone.utc)
    except OverflowError:
        return Checked(OUT_OF_RANGE)
    stored = _stored(data)
    if isinstance(stored, Problem):
        return Checked(stored)
    return Checked(None, arrived_at, departed_at, stored)


def _moment(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else parse_time(value)


def _first_error(problems: list[Problem]) -> Problem | None:
    return next((p for p in problems if p.severity is Severity.ERROR), None)


def venue_rules(venue_json: str | None) -> VenueRules:
    """The venue's rules from the details its device gave at enrollment (`Device.venue`): its subtype and
    jurisdiction, each only when it is one the platform knows; national rules otherwise."""
    try:
        venue = json.loads(venue_json or "{}")
    except ValueError:
        return NO_VENUE
    if not isinstance(venue, dict):
        return NO_VENUE
    subtype, jurisdiction = venue.get("subtype"), venue.get("jurisdiction")
    return VenueRules(subtype if subtype in VenueSubtype._value2member_map_ else None,
                      jurisdiction if isinstance(jurisdiction, str) and jurisdiction.isidentifier() else "national")


def check_event(event: Event, now: datetime, venue: VenueRules = NO_VENUE) -> Checked:
    """The shape check, then the agent's validators (with the venue's rules; a new registration also
    against its deadline, as of when the venue registered it: `occurred_at`), then the depth of the data
    as it would be stored; never raises for any input. The flags stored are the platform's own."""
    problem = check_event_shape(event)
    if problem is not None:
        return Checked(problem)
    kind = EVENT_TYPES[event.type]  # the shape check passed: a known type
    if kind in REGISTERING:
        try:
            registered_at = parse_time(event.occurred_at) if kind is EventType.REGISTERED else None
            checked = check_registration(registration_payload(event.data), now=now, venue=venue,
                                         registered_at=registered_at)
        except Exception:  # a validator bug must cost one event a rejection, never the batch a 500
            return Checked(Problem("registration.unreadable", "登记内容无法校验，请检查后重新上报。",
                                   "The registration could not be checked; review it and send it again."))
        problem = _first_error(checked.problems)
        if problem is not None:
            return Checked(problem)
        # Stored as checked, not as sent: a document number sent in full-width digits or with spaces is
        # kept in the canonical form the validator produced, so an exact search finds that person.
        data = checked.data or {}
        # (The registration's flags are the check's too: whatever the device sent under that key is not kept.)
        envelope = {key: event.data[key] for key in ENVELOPE_KEYS if key in event.data}
        return _passed({**envelope, **data}, _moment(data.get("arrived_at")), _moment(data.get("departed_at")))
    if kind is EventType.DEPARTED:
        departed = parse_time(event.data["departed_at"])
        assert departed is not None  # the shape check passed
        # Measured against the time the venue recorded the departure: a report delayed by an outage
        # does not make a departure late.
        recorded = parse_time(event.occurred_at)
        assert recorded is not None
        problem = _first_error(check_late_departure(departed, recorded, event.data.get("late_reason"))[1])
        if problem is not None:
            return Checked(problem)
        return _passed(event.data, departed_at=departed)
    if kind is EventType.VISIT:
        try:
            visit = check_visit({k: v for k, v in event.data.items() if k not in VISIT_ENVELOPE}, now=now)
        except Exception:  # a validator bug must cost one event a rejection, never the batch a 500
            return Checked(Problem("visit.unreadable", "访客登记内容无法校验，请检查后重新上报。",
                                   "The visit could not be checked; review it and send it again."))
        problem = _first_error(visit.problems)
        if problem is not None:
            return Checked(problem)
        return _passed(event.data, arrived_at=_moment((visit.data or {}).get("arrived_at")))
    if kind is EventType.VISIT_END:
        return _passed(event.data, departed_at=parse_time(event.data["left_at"]))
    if kind is EventType.NO_ARRIVALS:
        day = parse_date(event.data["date"])
        if day is not None and day > now.astimezone(CHINA_TIME).date():
            return Checked(Problem("no_arrivals.future_date", "无入住上报的日期不能晚于今天。",
                                   "A no-arrivals report cannot be for a day after today.", "date"))
    return _passed(event.data)


def check_departure_rule(arrived_at: datetime | None, departed_at: datetime, now: datetime) -> Problem | None:
    """The agent's departure rule (not before arrival, not in the future)."""
    if arrived_at is None:
        return None  # a registration always has an arrival; a corrected one may not have carried it yet
    return _first_error(list(check_departure(arrived_at, departed_at, now)))

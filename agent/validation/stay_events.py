"""Checking what happens to a stay after its registration: visitors, room changes, extensions, late and
undone departures.

Like `agent.validation.registration`, the SAME functions run in the agent before anything is stored and
in the platform when the event arrives, so both sides refuse exactly the same events. They never raise on
bad input: every fault is a `Problem` with a field name. The rules that need the records (is the host
still here, when did the stay begin, when was the departure recorded) take those facts as arguments:
the agent reads them from its store, the platform from its own.

- a visit: `{visitor: a person object, host: the registration number visited, arrived_at}` - the
  visitor is checked like a registered person (`agent.validation.people`), with a document of their own;
- a visit's end, a room change, a new expected departure: each after the arrival and not in the future;
  a new expected departure not already past;
- a departure recorded more than 72 hours after it happened needs a `late_reason`;
- a departure may be undone within 15 minutes of being recorded.

>>> from datetime import datetime
>>> checked = check_visit({"visitor": {"doc_type": "resident_id", "doc_number": "11010519491231002X",
...                                    "name": "张三"}, "host": 7, "arrived_at": "2024-05-01 20:00"},
...                       now=datetime(2024, 5, 1, 20, 5))
>>> checked.problems, checked.data["arrived_at"], checked.data["visitor"]["sex"]
([], '2024-05-01T20:00:00+08:00', 'F')
>>> registration_number("42"), registration_number("99999999999999999999999"), registration_number(True)
(42, None, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.domain import CHINA_TIME, DocType
from agent.domain.problems import Problem, Severity
from agent.validation.datetimes import to_iso
from agent.validation.normalise import halfwidth
from agent.validation.people import PersonChecks

UNDO_WINDOW = timedelta(minutes=15)  # a departure may be undone this long after it was recorded
BACKDATE_WITHOUT_REASON = timedelta(hours=72)  # a departure further back needs a late_reason
LATE_REASON_MAX = 200
EARLIEST = datetime(2000, 1, 1, tzinfo=CHINA_TIME)
FUTURE_TOLERANCE = timedelta(days=1)  # as for an arrival (agent.validation.registration)
LONGEST_PLANNED_STAY = timedelta(days=366 * 30)
MAX_REGISTRATION_NUMBER = 2**63 - 1  # the store's integer keys: a larger number names nothing

VISIT_KEYS = ("visitor", "host", "arrived_at")


@dataclass
class CheckedVisit:
    """A visit as entered, checked: its normalised form `{visitor, arrived_at}` (None when any problem is
    an error) and every problem. The host is read apart (`registration_number`): the platform names it
    by the registration id of the event, the agent by the number the clerk typed."""

    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


def registration_number(value: Any) -> int | None:
    """A registration (or visit) number as typed - a whole number or its digits - or None when it cannot
    name one (not a number, zero, or larger than any the store can hold)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = halfwidth(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        value = int(text)
    if isinstance(value, int) and 0 < value <= MAX_REGISTRATION_NUMBER:
        return value
    return None


def check_visit(payload: Any, *, now: datetime | None = None) -> CheckedVisit:
    """Every problem of a visit, and its normalised form `{visitor, arrived_at}` when it has no error.
    A `host` key is allowed (the command's input names the host so) and left to `registration_number`."""
    check = _Check(_now(now))
    if not isinstance(payload, Mapping):
        check.error("visit.not_object", "访客登记应为一个对象（JSON 中的 {...}）",
                    "a visit is one object (a {...} in JSON)", "")
        return CheckedVisit(None, check.problems)
    check.unknown_keys(payload, VISIT_KEYS, "")
    data: dict[str, Any] = {}
    visitor_payload = payload.get("visitor")
    if isinstance(visitor_payload, Mapping) and visitor_payload.get("doc_type") in (
            DocType.NONE_WITH_GUARDIAN.value, "无证件"):
        check.error("visit.document_required", "访客须出示本人证件登记", "a visitor is registered with a "
                    "document of their own", "visitor.doc_type")
    else:
        visitor = check.person(visitor_payload)
        if visitor is not None:
            # `person` names its fields person.*: a visitor's are visitor.*.
            check.problems = [p.at("visitor" + p.field[len("person"):]) if p.field and p.field.startswith("person")
                              else p for p in check.problems]
            data["visitor"] = visitor
    arrived = check.moment(payload.get("arrived_at"), "arrived_at", required=True)
    if arrived is not None and check.within_time(arrived, "arrived_at", "到访时间", "the visit's arrival"):
        data["arrived_at"] = to_iso(arrived)
    if any(p.severity is Severity.ERROR for p in check.problems):
        return CheckedVisit(None, check.problems)
    return CheckedVisit(data, check.problems)


def check_visit_end(arrived_at: datetime | str, left_at: datetime | str,
                    now: datetime | None = None) -> list[Problem]:
    """Problems with the time a visitor left (field `left_at`): unreadable, before they came, in the future."""
    check = _Check(_now(now))
    arrived = check.moment(arrived_at, "arrived_at", required=True)
    left = check.moment(left_at, "left_at", required=True)
    if arrived is not None and left is not None:
        if left < arrived:
            check.error("visit.end_before_arrival", "访客离开时间早于到访时间：请核对",
                        "the visitor left before they came: check both times", "left_at")
        else:
            check.within_time(left, "left_at", "访客离开时间", "the visitor's leaving time")
    return check.problems


def check_unit_change(arrived_at: datetime | str, moved_at: datetime | str, unit: Any,
                      previous_unit: str | None = None, now: datetime | None = None) -> tuple[str | None, list[Problem]]:
    """The new unit as stored (stripped text) and the problems of a room change (fields `unit`,
    `moved_at`): no unit, the same unit, a move before the arrival or in the future."""
    check = _Check(_now(now))
    label = check.text({"unit": unit}, "unit", "unit", required=True)
    if label is not None and previous_unit is not None and label == previous_unit:
        check.error("unit_change.same_unit", f"已经住在 {label}：换房请填写新的房间/单元",
                    f"the stay is already in {label}: give the new room or unit", "unit")
    arrived = check.moment(arrived_at, "arrived_at", required=True)
    moved = check.moment(moved_at, "moved_at", required=True)
    if arrived is not None and moved is not None:
        if moved < arrived:
            check.error("unit_change.before_arrival", "换房时间早于到达时间：请核对",
                        "the room change is before the arrival: check the time", "moved_at")
        else:
            check.within_time(moved, "moved_at", "换房时间", "the room change")
    return (label if not check.problems else None), check.problems


def check_extension(arrived_at: datetime | str, until: Any,
                    now: datetime | None = None) -> tuple[datetime | None, list[Problem]]:
    """The new expected departure (lease end) and the problems of an extension (field
    `expected_departure`): unreadable, not after the arrival, already past, over 30 years away."""
    check = _Check(_now(now))
    arrived = check.moment(arrived_at, "arrived_at", required=True)
    new_end = check.moment(until, "expected_departure", required=True)
    if arrived is None or new_end is None:
        return None, check.problems
    if new_end <= arrived:
        check.error("stay_extension.before_arrival", "新的预计离开（租期结束）时间不晚于到达时间：请核对",
                    "the new expected departure (lease end) is not after the arrival: check the date",
                    "expected_departure")
    elif new_end < check.now:
        check.error("stay_extension.in_past", "新的预计离开（租期结束）时间已经过去：续住或续租请填写以后的日期",
                    "the new expected departure (lease end) has already passed: an extension or a renewal "
                    "gives a later date", "expected_departure")
    elif new_end > arrived + LONGEST_PLANNED_STAY:
        check.error("stay_extension.too_far", "新的预计离开时间在到达 30 年之后：请核对年份",
                    "the new expected departure is more than 30 years after the arrival: check the year",
                    "expected_departure")
    return (new_end if not check.problems else None), check.problems


def check_late_departure(departed_at: datetime, recorded_at: datetime,
                         late_reason: Any) -> tuple[str | None, list[Problem]]:
    """The reason as stored (or None) and the problems of a departure recorded at `recorded_at` (field
    `late_reason`): a departure more than 72 hours back needs a reason; a reason is short plain text."""
    check = _Check(_now(recorded_at))
    reason = None
    if late_reason is not None:
        reason = check.text({"late_reason": late_reason}, "late_reason", "late_reason")
        if reason is not None and len(reason) > LATE_REASON_MAX:
            check.too_long("late_reason", LATE_REASON_MAX, len(reason))
            reason = None
    if reason is None and not check.problems and departed_at < check.now - BACKDATE_WITHOUT_REASON:
        hours = int(BACKDATE_WITHOUT_REASON.total_seconds() // 3600)
        check.error("departure.late_without_reason",
                    f"离开时间早于登记时 {hours} 小时以上：请说明为何迟报（--late-reason）",
                    f"the departure is more than {hours} hours before it is recorded: give the reason it is "
                    "late (--late-reason)", "late_reason")
    return (reason if not check.problems else None), check.problems


def check_departure_undo(recorded_at: datetime, now: datetime) -> list[Problem]:
    """A departure may be undone within 15 minutes of being recorded (`recorded_at`); later it stands."""
    if now - recorded_at <= UNDO_WINDOW:
        return []
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    return [Problem("departure.undo_too_late",
                    f"离开已登记超过 {minutes} 分钟，不能撤销；如客人仍在，请重新办理入住登记",
                    f"the departure was recorded more than {minutes} minutes ago and can no longer be undone; "
                    "if the guest is still here, register them again", "registration_id")]


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(CHINA_TIME)
    return now.replace(tzinfo=CHINA_TIME) if now.tzinfo is None else now.astimezone(CHINA_TIME)


class _Check(PersonChecks):
    """Collects the problems of one stay event while reading its fields."""

    def within_time(self, moment: datetime, path: str, zh: str, en: str) -> bool:
        """True when `moment` is after 2000 and not more than a day ahead; else the problem is recorded."""
        if moment < EARLIEST:
            self.error("time.too_early", f"{zh}早于 2000 年：请核对年份", f"{en} is before 2000: check the year", path)
            return False
        if moment > self.now + FUTURE_TOLERANCE:
            self.error("time.in_future", f"{zh}在将来：请核对日期", f"{en} is in the future: check the date", path)
            return False
        return True

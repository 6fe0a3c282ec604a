"""Checking one registration as entered (form, JSON, CSV row) and producing its normalised form.

The SAME function runs in the agent before anything is stored and in the platform when an event
arrives, so both sides refuse exactly the same records. It never raises on bad input: every fault is a
`Problem` with a field path (`person.doc_number`), and all of them are reported at once so that a
clerk fixes a form in one pass. When no problem is an ERROR, `data` is the normalised registration:
compact document numbers (15-digit IDs upgraded), birth date and sex filled in from the document,
nationality filled in where the document implies it, text stripped, codes canonical, times as
ISO 8601 with the +08:00 offset. Warnings do not block a registration.

The payload (the CLI's JSON input)::

    {kind: tenancy|stay|employment, unit, arrived_at, expected_departure?, departed_at?,
     position?, lodges_on_site?, reason?,
     person: {doc_type, doc_number, name, sex, ethnicity?, birth_date?, nationality?, address?,
              phone?, residence_permit_number?},
     guardian?: {doc_type, doc_number, name, nationality?}}

`guardian` is required exactly when `person.doc_type` is `none_with_guardian`. A tenancy's or an
employment's `expected_departure` (the lease's or the contract's end) is a day, `YYYY-MM-DD`: no time
is made up for it; a stay's is a time.

The people rules (a minor's guardian and companions, a foreigner's visa, a late registration) are
`agent.validation.arrival_rules`, run here on the whole registration.

`flags` is the validator's: any given is replaced by the flags it computes.

>>> from datetime import datetime
>>> checked = check_registration({
...     "kind": "stay", "unit": "302", "arrived_at": "2024-05-01 14:30",
...     "person": {"doc_type": "resident_id", "doc_number": "11010519491231002x", "name": " 张三 "},
... }, now=datetime(2024, 5, 1, 15, 0))
>>> checked.problems
[]
>>> person = checked.data["person"]
>>> person["doc_number"], person["name"], person["sex"], person["birth_date"], person["nationality"]
('11010519491231002X', '张三', 'F', '1949-12-31', 'CHN')
>>> checked.data["arrived_at"]
'2024-05-01T14:30:00+08:00'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from agent.domain import (
    CHINA_TIME,
    DATE_ONLY_DEPARTURE,
    RegistrationKind,
    codes,
)
from agent.domain.problems import Problem, Severity
from agent.validation.arrival_rules import NO_VENUE, ArrivalRules, VenueRules
from agent.validation.datetimes import to_iso
from agent.validation.fields import absent, boolean
from agent.validation.words import reason_code

EARLIEST_ARRIVAL = datetime(2000, 1, 1, tzinfo=CHINA_TIME)
FUTURE_TOLERANCE = timedelta(days=1)  # a guest may be registered ahead of a same-day arrival
LONGEST_PLANNED_STAY = timedelta(days=366 * 30)

TOP_KEYS = ("kind", "unit", "arrived_at", "expected_departure", "departed_at", "position",
            "lodges_on_site", "reason", "person", "guardian", "guardian_contact", "companions",
            "guardian_contacted", "late_reason", "flags")
_KINDS = {kind.value: kind for kind in RegistrationKind}
_KINDS_ACCEPTED = "、".join(_KINDS)

_CHECKED_HERE = object()  # what only `check_registration` puts in a CheckedRegistration




@dataclass
class CheckedRegistration:
    """The outcome: the normalised registration (None when any problem is an error) and all problems.

    The register takes one in place of a payload (the TUI's form has just checked it) and does not
    check it again; one that `check_registration` did not make is refused (`genuine`)."""

    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    _made_by: object = field(default=None, repr=False, compare=False)
    venue: VenueRules = NO_VENUE  # the venue it was checked for
    late_checked: bool = False  # checked as a new arrival (`registered_at` given)

    @property
    def ok(self) -> bool:
        return self.data is not None

    @property
    def genuine(self) -> bool:
        """Made by `check_registration` itself, not assembled elsewhere."""
        return self._made_by is _CHECKED_HERE

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


def check_registration(payload: Mapping[str, Any], *, now: datetime | None = None,
                       venue: VenueRules | None = None, registered_at: datetime | None = None) -> CheckedRegistration:
    """Every problem of one registration payload, and its normalised form when it has no error.

    `venue` says what the venue is (default: `NO_VENUE`); `registered_at`, given for a new arrival, is
    when it is registered (the agent: now; the platform: the event's `occurred_at`), against which the
    registration deadline is judged."""
    venue = venue or NO_VENUE
    check = _Check(_now(now), venue, None if registered_at is None else _now(registered_at))
    data = check.registration(payload)
    late_checked = registered_at is not None
    if check.problems and any(p.severity is Severity.ERROR for p in check.problems):
        return CheckedRegistration(None, check.problems, _CHECKED_HERE, venue, late_checked)
    return CheckedRegistration(data, check.problems, _CHECKED_HERE, venue, late_checked)


def check_departure(arrived_at: datetime | str, departed_at: datetime | str,
                    now: datetime | None = None) -> list[Problem]:
    """Problems with a departure time (field `departed_at`): unreadable, before arrival, in the future."""
    check = _Check(_now(now))
    arrived = check.moment(arrived_at, "arrived_at", required=True)
    departed = check.moment(departed_at, "departed_at", required=True)
    if arrived is not None and departed is not None:
        check.departure(arrived, departed)
    return check.problems


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(CHINA_TIME)
    return now.replace(tzinfo=CHINA_TIME) if now.tzinfo is None else now.astimezone(CHINA_TIME)


class _Check(ArrivalRules):
    """Collects the problems of one registration payload while building its normalised form."""

    # --- the whole registration -------------------------------------------------------------

    def registration(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, Mapping):
            self.error("registration.not_object", "登记内容应为一个对象（JSON 中的 {...}）",
                       "a registration is one object (a {...} in JSON)", "")
            return {}
        self.unknown_keys(payload, TOP_KEYS, "")
        data: dict[str, Any] = {}
        kind = self.kind(payload.get("kind"))
        if kind is not None:
            data["kind"] = kind.value
        self.put(data, "unit", self.text(payload, "unit", "unit", required=True))

        arrived = self.moment(payload.get("arrived_at"), "arrived_at", required=True)
        if arrived is not None:
            self.arrival(arrived)
            data["arrived_at"] = to_iso(arrived)
        if kind in DATE_ONLY_DEPARTURE:  # a lease's or a contract's end: a day, with no time made up for it
            ends = self.day(payload.get("expected_departure"), "expected_departure")
            expected = None
            if ends is not None:
                expected = datetime.combine(ends, time(23, 59), CHINA_TIME)  # the last day counts whole
                if arrived is not None:
                    self.expected_departure(arrived, expected)
                data["expected_departure"] = ends.isoformat()
        else:
            expected = self.moment(payload.get("expected_departure"), "expected_departure")
            if expected is not None:
                if arrived is not None:
                    self.expected_departure(arrived, expected)
                data["expected_departure"] = to_iso(expected)
        departed = self.moment(payload.get("departed_at"), "departed_at")
        if departed is not None:
            if arrived is not None:
                self.departure(arrived, departed)
            data["departed_at"] = to_iso(departed)

        self.employment_fields(payload, kind, data)
        person_payload = payload.get("person")
        reason = self.reason(payload, person_payload)
        self.put(data, "reason", reason)

        person = self.person(person_payload)
        if person is not None:
            data["person"] = person
        self.guardian(payload, person, data)
        self.minor_rules(payload, data, kind, arrived)
        self.foreigner_rules(data, kind, arrived, expected)
        self.lateness(payload, data, kind, arrived)
        if self.flags:
            data["flags"] = sorted(self.flags)
        return data

    def kind(self, value: Any) -> RegistrationKind | None:
        accepted = _KINDS_ACCEPTED
        if absent(value):
            self.error("registration.required", f"缺少登记类型 kind（{accepted}）",
                       f"kind is missing (one of {accepted.replace('、', ', ')})", "kind")
            return None
        kind = _KINDS.get(value) if isinstance(value, str) else None  # only text can name a kind
        if kind is None and not self.hidden_characters(value, "kind"):
            self.error("registration.kind", f"登记类型 kind 应为 {accepted} 之一",
                       f"kind must be one of {accepted.replace('、', ', ')}", "kind")
        return kind

    def employment_fields(self, payload: Mapping[str, Any], kind: RegistrationKind | None,
                          data: dict[str, Any]) -> None:
        if "position" not in payload and "lodges_on_site" not in payload:
            return  # a stay or a tenancy: the common case, with nothing to check
        for key in ("position", "lodges_on_site"):
            if not absent(payload.get(key)) and kind is not None and kind is not RegistrationKind.EMPLOYMENT:
                self.error("registration.employment_only", f"{key} 只用于用工登记（employment）：请删除该字段",
                           f"{key} belongs to employment registrations only: remove it", key)
        self.put(data, "position", self.text(payload, "position", "position"))
        lodges = payload.get("lodges_on_site")
        if not absent(lodges) and not self.hidden_characters(lodges, "lodges_on_site"):
            flag = boolean(lodges)
            if flag is None:
                self.error("registration.type", "lodges_on_site 应为 true 或 false（是/否）",
                           "lodges_on_site must be true or false", "lodges_on_site")
            else:
                data["lodges_on_site"] = flag

    def reason(self, payload: Mapping[str, Any], person: Any) -> str | None:
        # A reason may also come inside `person` (where some callers group it); given twice, it must agree.
        value = self.text(payload, "reason", "reason")
        if isinstance(person, Mapping) and not absent(person.get("reason")):
            in_person = self.text(person, "reason", "person.reason")
            if value is not None and in_person is not None and value != in_person:
                self.error("registration.reason_twice", "reason 与 person.reason 不一致：只填一处",
                           "reason and person.reason differ: give it once", "reason")
            value = value or in_person
        if value is None:
            return None
        reasons = codes.reasons()
        key = reason_code(value)
        if key is not None:
            return key
        listed = ", ".join(reasons)
        self.error("registration.reason", f"暂住事由应为以下之一：{'、'.join(e.zh for e in reasons.values())}",
                   f"the reason for stay must be one of: {listed}", "reason")
        return None

    def arrival(self, arrived: datetime) -> None:
        if arrived < EARLIEST_ARRIVAL:
            self.error("registration.arrival_too_early", "到达时间早于 2000 年：请核对年份",
                       "the arrival is before 2000: check the year", "arrived_at")
        elif arrived > self.now + FUTURE_TOLERANCE:
            self.error("registration.arrival_in_future", "到达时间晚于明天此时：只登记已经或即将到达的人，请核对日期",
                       "the arrival is more than a day ahead: register people who have arrived or arrive "
                       "today, check the date", "arrived_at")

    def expected_departure(self, arrived: datetime, expected: datetime) -> None:
        if expected < arrived:
            self.error("registration.expected_departure_before_arrival", "预计离开时间早于到达时间：请核对",
                       "the expected departure is before the arrival: check both", "expected_departure")
        elif expected > arrived + LONGEST_PLANNED_STAY:
            self.error("registration.expected_departure_too_far", "预计离开时间在到达 30 年之后：请核对年份",
                       "the expected departure is more than 30 years after the arrival: check the year",
                       "expected_departure")

    def departure(self, arrived: datetime, departed: datetime) -> None:
        if departed < arrived:
            self.error("registration.departure_before_arrival", "离开时间早于到达时间：请核对",
                       "the departure is before the arrival: check both", "departed_at")
        elif departed > self.now + FUTURE_TOLERANCE:
            self.error("registration.departure_in_future", "离开时间在将来：只登记已经离开的人，请核对日期",
                       "the departure is in the future: record a departure once it happened, check the date",
                       "departed_at")

"""What the register answers: the outcome of a request, a registration as lists show it, a refusal.

Plain values, so the CLI prints them and the TUI draws them without reaching into the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from agent.domain import CHINA_TIME, DATE_ONLY_DEPARTURE, EventType
from agent.validation import Problem

PURGED_NAME = "已清除 purged"  # what lists show for a person whose data the retention purge erased

# The events whose content is a whole registration (a correction takes a registration again).
REGISTERING = frozenset({EventType.REGISTERED.value, EventType.UPDATED.value, EventType.CORRECTED.value})
# The events of a stay after its registration that a correction gives new content (`agent.register.stay`).
STAY_EDITABLE = frozenset({EventType.VISIT.value, EventType.VISIT_END.value, EventType.UNIT_CHANGED.value,
                           EventType.STAY_EXTENDED.value})


def iso(value: datetime | None) -> str | None:
    """A moment as the venue's clock shows it, to the minute (what lists and messages print)."""
    return value.astimezone(CHINA_TIME).isoformat(timespec="minutes") if value else None


@dataclass
class Outcome:
    """What became of one request: the registration's id, or the problems that refused it.

    Warnings (an unknown county code) come with a successful outcome; errors mean nothing was written.
    """

    registration_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.registration_id is not None


@dataclass
class VisitOutcome:
    """What became of a visit's record: the visit's number, or the problems that refused it."""

    visit_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.visit_id is not None


@dataclass
class RoomDeparture:
    """What became of checking a whole room out: the registrations departed (all or none), or why not."""

    unit: str
    registration_ids: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.registration_ids) and not self.problems


@dataclass(frozen=True)
class VisitView:
    """A visit as lists show it: the visitor's name in full, the document masked, whom they visit."""

    id: int
    host_registration_id: int
    host_unit: str
    host_name: str
    name: str
    doc_type: str
    doc_masked: str
    arrived_at: datetime
    left_at: datetime | None

    @property
    def in_now(self) -> bool:
        return self.left_at is None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "host": self.host_registration_id, "host_unit": self.host_unit,
                "host_name": self.host_name, "name": self.name, "doc_type": self.doc_type,
                "doc_number": self.doc_masked, "arrived_at": iso(self.arrived_at), "left_at": iso(self.left_at),
                "in": self.in_now}


@dataclass(frozen=True)
class RegistrationView:
    """A registration as lists show it: the name in full, the numbers masked."""

    id: int
    kind: str
    unit: str
    name: str
    sex: str | None
    doc_type: str
    doc_masked: str
    phone_masked: str | None
    arrived_at: datetime
    expected_departure: datetime | None
    departed_at: datetime | None
    purged: bool = False  # retention erased its events' payloads (and the person's data, if nothing kept it)
    nationality: str | None = None  # the ISO 3166-1 alpha-3 code (CHN for a resident ID); None if not known

    @property
    def present(self) -> bool:
        return self.departed_at is None

    @property
    def departure_is_a_day(self) -> bool:
        """A lease's or a contract's end: a day, shown and given without a time."""
        return self.kind in DATE_ONLY_DEPARTURE

    @property
    def expected_departure_day(self) -> date | None:
        """The day of the expected departure (China time): for a tenancy or an employment, all there is."""
        return self.expected_departure.astimezone(CHINA_TIME).date() if self.expected_departure else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "unit": self.unit, "name": self.name, "sex": self.sex,
            "doc_type": self.doc_type, "doc_number": self.doc_masked, "phone": self.phone_masked,
            "arrived_at": iso(self.arrived_at), "expected_departure": (
                self.expected_departure_day.isoformat() if self.departure_is_a_day and self.expected_departure_day
                else iso(self.expected_departure)),
            "departed_at": iso(self.departed_at), "present": self.present, "purged": self.purged,
        }


@dataclass(frozen=True)
class Companion:
    """Someone present in a unit who may be named as a minor's companion: the registration as lists show
    it, whether they are an adult on the day asked (None when no birth date is known), and the document
    number a registration's `companions` names them by - to be sent, never shown (`repr` leaves it out)."""

    view: RegistrationView
    adult: bool | None
    doc_number: str = field(repr=False)


@dataclass(frozen=True)
class Rejection:
    """An event the platform refused, with its reason, until it is corrected or sent again."""

    seq: int
    event_id: str
    type: str
    registration_id: int | None
    occurred_at: datetime
    code: str
    zh: str
    en: str
    rejected_at: datetime
    unit: str | None
    name: str | None

    @property
    def editable(self) -> bool:
        """Whether a correction takes new content (a registration or a departure time), not only a resend."""
        return self.registration_id is not None and (self.type in REGISTERING
                                                     or self.type == EventType.DEPARTED.value)

    @property
    def stay_event(self) -> bool:
        """Whether it is a visit, a visitor leaving, a room change or an extension: a correction takes what
        its command takes (`Corrections.correct`), e.g. `{"unit": ...}`, `{"left_at": ...}`."""
        return self.registration_id is not None and self.type in STAY_EDITABLE

    def reason(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "event_id": self.event_id, "type": self.type,
                "registration_id": self.registration_id, "occurred_at": iso(self.occurred_at),
                "rejected_at": iso(self.rejected_at), "code": self.code, "zh": self.zh, "en": self.en,
                "unit": self.unit, "name": self.name}

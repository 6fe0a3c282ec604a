"""The check-outs this desk recorded in the last minutes, which the clerk may still undo (issue 17 item 3,
issue 18 item 6).

A departure can be undone for 15 minutes after it was recorded (`agent.validation.stay_events`, the rule
the register and the platform apply). The session keeps the last ones here, newest last, so that Ctrl+Z
on the home and departure screens offers the latest that can still be undone - one person, or a whole
room checked out at once, which is undone as it was checked out. The register has the last word: an undo
it refuses (too late, the guest registered again since) is said as it says it. Nothing here imports
Textual, so the state can be tested without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from agent.validation.stay_events import UNDO_WINDOW, check_departure_undo

if TYPE_CHECKING:
    from agent.register.records import RegistrationView
    from agent.validation import Problem

KEEP = 8  # a desk never needs more than the last few; older ones are past the window anyway


@dataclass(frozen=True)
class RecentDeparture:
    """One check-out as the clerk made it: the people who left (one, or a whole room), and when it was
    recorded (the session's clock)."""

    people: tuple[RegistrationView, ...]
    recorded_at: datetime
    whole_room: bool = False

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(view.id for view in self.people)

    @property
    def unit(self) -> str:
        return self.people[0].unit

    @property
    def until(self) -> datetime:
        """The last moment it can be undone."""
        return self.recorded_at + UNDO_WINDOW

    def undoable(self, now: datetime) -> bool:
        return not check_departure_undo(self.recorded_at, now)

    def too_late(self, now: datetime) -> Problem | None:
        """The register's own words for an undo asked too late, or None while it can be undone."""
        problems = check_departure_undo(self.recorded_at, now)
        return problems[0] if problems else None


class RecentDepartures:
    """The last check-outs of this session, newest last."""

    def __init__(self) -> None:
        self._recent: list[RecentDeparture] = []

    def add(self, departure: RecentDeparture) -> None:
        self._recent = [*self._recent, departure][-KEEP:]

    def latest(self) -> RecentDeparture | None:
        """The last check-out recorded here (undoable or not: the caller asks `undoable`)."""
        return self._recent[-1] if self._recent else None

    def latest_undoable(self, now: datetime) -> RecentDeparture | None:
        """The newest check-out that can still be undone at `now`."""
        return next((d for d in reversed(self._recent) if d.undoable(now)), None)

    def of(self, registration_id: int) -> RecentDeparture | None:
        """The check-out recorded here that took this registration out, if any."""
        return next((d for d in reversed(self._recent) if registration_id in d.ids), None)

    def forget(self, registration_ids: set[int] | frozenset[int] | tuple[int, ...]) -> None:
        """These stays are open again (undone): their check-outs are no longer to be undone. A room of
        which only some were undone keeps the others."""
        gone = set(registration_ids)
        kept = []
        for departure in self._recent:
            people = tuple(view for view in departure.people if view.id not in gone)
            if people:
                kept.append(departure if len(people) == len(departure.people)
                            else RecentDeparture(people, departure.recorded_at, departure.whole_room))
        self._recent = kept

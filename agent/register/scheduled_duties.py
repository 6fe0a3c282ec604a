"""The duties a venue's sender does on a schedule, offered to the uploader's daemon through a small
interface: queue the daily no-arrivals report a hotel owes, see which reminders are due, and run the
retention purge.

The daemon delivers; what is due is the agent's to know. It acts as the system (`SYSTEM`), never as an
operator, and the register behind it is made at the first run, by the desk that holds the sender's
lease: a daemon that only waits keeps its memory small.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from agent.duties import retention
from agent.duties.operators import SYSTEM
from agent.duties.reminders import due_reminders, summary
from agent.store.database import Store

if TYPE_CHECKING:
    from agent.register.registry import Registry


@dataclass(frozen=True)
class DutiesDone:
    """What one run did: the days whose no-arrivals report it queued, and the reminders due (codes and
    counts only, for the log)."""

    reported_days: list[date]
    reminders: str


class VenueDuties:
    """The scheduled duties of one store's venue."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._registry: Registry | None = None

    def run_due(self, now: datetime) -> DutiesDone:
        """Queue the no-arrivals reports due by `now` and say which reminders are due."""
        if self._registry is None:
            from agent.register.registry import Registry

            self._registry = Registry(self.store, operator=SYSTEM)
        return DutiesDone(self._registry.report_no_arrivals(now), summary(due_reminders(self.store, now)))

    def purge(self) -> None:
        """The retention purge: one write transaction that finds nothing left when another desk ran it."""
        retention.purge(self.store, operator=SYSTEM)

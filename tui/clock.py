"""The time the screens show and stamp, in China time, replaceable so tests and snapshots hold still."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from agent.domain import CHINA_TIME

Clock = Callable[[], datetime]


def china_now() -> datetime:
    """Now, in China Standard Time (the venue's, the clerk's and the platform's time)."""
    return datetime.now(CHINA_TIME)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always says `moment` (for tests and snapshots)."""
    return lambda: moment

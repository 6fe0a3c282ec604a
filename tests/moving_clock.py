"""A clock the test moves instead of sleeping: the platform's, a device's, a desk's."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """Callable like `datetime.now`; `advance` (or setting `now`) moves it on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

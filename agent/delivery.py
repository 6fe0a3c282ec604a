"""What the screens need to know and ask of delivery to the platform, without speaking HTTP.

The uploader implements `Delivery`; the composition root (`agent.cli`) hands an instance to the TUI.
The TUI shows `DeliveryState` and calls `enroll`/`send_soon`; it never imports the uploader, and the
uploader never imports the TUI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agent.validation import Problem


@dataclass(frozen=True)
class DeliveryState:
    """One line's worth of delivery status, as the home screen and `dengji status` show it."""

    pending: int = 0
    in_flight: int = 0
    sent: int = 0
    rejected: int = 0
    quarantined: int = 0
    last_success: datetime | None = None
    last_error: str | None = None
    next_attempt: datetime | None = None
    platform_reachable: bool | None = None  # None: not known yet (nothing tried)
    enrolled: bool = False
    sender: str | None = None  # "daemon", "this process" or None when nobody sends


class Delivery(Protocol):
    """The sending side as the screens see it."""

    def state(self) -> DeliveryState:
        """The current state (cheap: read from the store)."""
        ...

    async def enroll(self, code: str, platform_url: str, ca_file: str | None = None) -> Problem | None:
        """Enroll this device with the platform; None when it worked, else what went wrong."""
        ...

    def send_soon(self) -> None:
        """A registration was just made: send it now rather than at the next scheduled tick."""
        ...

"""The uploader as the TUI sees it (`agent.register.delivery.Delivery`): state, enrollment, and sending in-process.

When no daemon runs, the TUI's process sends: `run()` is the same loop as `dengji agent run`, holding
the same lease, so a daemon started later waits its turn instead of sending alongside (and the TUI
waits while a daemon holds it, showing the daemon's state instead).
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlmodel import select

from agent.domain.errors import NotEnrolled
from agent.duties.permit_checks import PermitCheckResult
from agent.register.delivery import DeliveryState, delivery_state
from agent.store.database import Store
from agent.store.models import Venue
from agent.validation import Problem
from uploader.daemon import Daemon, DaemonSettings
from uploader.enrollment import enroll
from uploader.permit_check import check_permit


class UploaderDelivery:
    def __init__(self, store: Store, settings: DaemonSettings | None = None) -> None:
        self.store = store
        self.daemon = Daemon(store, settings or DaemonSettings(role="tui", handle_signals=False))
        self._enrolled = asyncio.Event()

    def state(self) -> DeliveryState:
        return delivery_state(self.store)

    async def enroll(self, code: str, platform_url: str, ca_file: str | None = None, *,
                     fingerprint: str | None = None) -> Problem | None:
        with self.store.read() as session:
            venue = session.exec(select(Venue)).first()
        if venue is None:
            return Problem("venue.missing", "请先设置场所", "set up the venue first")
        result = await enroll(self.store, venue, code, platform_url, ca_file, expected_fingerprint=fingerprint)
        if isinstance(result, Problem):
            return result
        self._enrolled.set()
        return None

    async def check_permit(self, registration_id: int, permit_number: str | None = None,
                           operator: str | None = None) -> PermitCheckResult | Problem:
        return await check_permit(self.store, registration_id, permit_number, operator)

    def send_soon(self) -> None:
        self.daemon.wake.set()

    async def run(self) -> None:
        """Send until cancelled; before enrollment, wait for it."""
        while True:
            try:
                await self.daemon.run()
                return
            except NotEnrolled:
                self._enrolled.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._enrolled.wait(), timeout=30)

"""What the screens need to know and ask of delivery to the platform, without speaking HTTP.

The uploader implements `Delivery`; the composition root (`agent.cli`) hands an instance to the TUI.
The TUI shows `DeliveryState` and calls `enroll`/`send_soon`; it never imports the uploader, and the
uploader never imports the TUI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import func
from sqlmodel import Session, select

from agent.domain import OutboxState
from agent.store.database import Store, database_now
from agent.store.models import (
    DEVICE_META_KEY,
    SENDER_LEASE_NAME,
    Meta,
    OutboxEntry,
    SenderLease,
)
from agent.validation import Problem

if TYPE_CHECKING:
    from agent.duties.permit_checks import PermitCheckResult


@dataclass(frozen=True)
class DeliveryState:
    """One line's worth of delivery status, as the home screen and `dengji status` show it."""

    pending: int = 0
    in_flight: int = 0
    sent: int = 0
    rejected: int = 0
    quarantined: int = 0
    superseded: int = 0  # rejected, then corrected or sent again as a new event
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

    async def enroll(self, code: str, platform_url: str, ca_file: str | None = None, *,
                     fingerprint: str | None = None) -> Problem | None:
        """Enroll this device with the platform; None when it worked, else what went wrong. `fingerprint`:
        the platform key's, handed over by the police station with the code; a platform with another key
        is refused (required unless the platform is on this machine)."""
        ...

    async def check_permit(self, registration_id: int, permit_number: str | None = None,
                           operator: str | None = None) -> PermitCheckResult | Problem:
        """Ask the platform whether the registration's person holds a valid residence permit (一证通);
        the answer is kept with the registration, attributed to `operator`."""
        ...

    def send_soon(self) -> None:
        """A registration was just made: send it now rather than at the next scheduled tick."""
        ...

    async def run(self) -> None:
        """Send from this process until cancelled, whenever no daemon holds the sender lease."""
        ...


_REPORT_KEY = "sender_report"


@dataclass(frozen=True)
class SenderReport:
    """What the sender last saw, kept in the store so that any process (CLI, TUI) can show it."""

    last_success: datetime | None = None
    last_error: str | None = None
    next_attempt: datetime | None = None
    platform_reachable: bool | None = None


def save_sender_report(store: Store, report: SenderReport) -> None:
    store.write(lambda session: write_sender_report(session, report))


def write_sender_report(session: Session, report: SenderReport) -> None:
    """`save_sender_report` inside a transaction the caller holds (the uploader's, writing receipts back:
    one commit per answered batch instead of two)."""
    value = json.dumps({
        "last_success": report.last_success.isoformat() if report.last_success else None,
        "last_error": report.last_error,
        "next_attempt": report.next_attempt.isoformat() if report.next_attempt else None,
        "platform_reachable": report.platform_reachable,
    }).encode()
    row = session.get(Meta, _REPORT_KEY) or Meta(key=_REPORT_KEY, value=b"")
    row.value = value
    session.add(row)


def load_sender_report(store: Store) -> SenderReport:
    with store.read() as session:
        row = session.get(Meta, _REPORT_KEY)
    if row is None:
        return SenderReport()
    raw = json.loads(row.value)

    def when(key: str) -> datetime | None:
        return datetime.fromisoformat(raw[key]) if raw.get(key) else None

    return SenderReport(when("last_success"), raw.get("last_error"), when("next_attempt"), raw.get("platform_reachable"))


def outbox_counts(store: Store) -> dict[str, int]:
    """How many events stand in each delivery state (every state is listed, zero or not)."""
    counts = {state.value: 0 for state in OutboxState}
    with store.read() as session:
        for state, n in session.exec(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)):
            counts[state] = n
    return counts


def delivery_state(store: Store) -> DeliveryState:
    """Counts by outbox state, the sender's last report, who sends, whether the device is enrolled."""
    counts = outbox_counts(store)
    with store.read() as session:
        lease = session.get(SenderLease, SENDER_LEASE_NAME)
        enrolled = session.get(Meta, DEVICE_META_KEY) is not None
        now = database_now(session)  # the clock the lease is judged by (desks' clocks may disagree)
    report = load_sender_report(store)
    sender = lease.holder if lease is not None and lease.expires_at > now else None
    return DeliveryState(pending=counts["pending"], in_flight=counts["in_flight"], sent=counts["sent"],
                         rejected=counts["rejected"], quarantined=counts["quarantined"],
                         superseded=counts["superseded"], last_success=report.last_success, last_error=report.last_error,
                         next_attempt=report.next_attempt, platform_reachable=report.platform_reachable,
                         enrolled=enrolled, sender=sender)

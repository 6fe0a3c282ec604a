"""One sender per database: a lease row that a sender takes, renews while it runs, and gives back.

A daemon, a second daemon started by mistake, and a TUI running its own uploader may all want to send.
Taking the lease is one `BEGIN IMMEDIATE` transaction (or a row lock on PostgreSQL), so exactly one
wins. A process killed without releasing leaves a lease that expires after `ttl`; the next sender
takes it over then.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from agent.store.database import Store
from agent.store.models import SENDER_LEASE_NAME, SenderLease

NAME = SENDER_LEASE_NAME
TTL = timedelta(seconds=30)


def holder_id(role: str) -> str:
    """Who holds the lease, as `role@host:pid` - shown to an operator wondering who sends."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}"


def acquire(store: Store, holder: str, ttl: timedelta = TTL, now: datetime | None = None) -> bool:
    """Take or renew the lease; False when another live holder has it."""
    moment = now or datetime.now(UTC)

    def work(session: Session) -> bool:
        lease = session.get(SenderLease, NAME, with_for_update=True)
        if lease is not None and lease.holder != holder and lease.expires_at > moment:
            return False
        lease = lease or SenderLease(name=NAME, holder=holder, expires_at=moment)
        lease.holder, lease.expires_at = holder, moment + ttl
        session.add(lease)
        return True

    return store.write(work)


def release(store: Store, holder: str) -> None:
    def work(session: Session) -> None:
        lease = session.get(SenderLease, NAME)
        if lease is not None and lease.holder == holder:
            session.delete(lease)

    store.write(work)


def current_holder(store: Store, now: datetime | None = None) -> str | None:
    """The live holder, if any."""
    moment = now or datetime.now(UTC)
    with store.read() as session:
        lease = session.get(SenderLease, NAME)
    return lease.holder if lease is not None and lease.expires_at > moment else None

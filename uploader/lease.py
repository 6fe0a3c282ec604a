"""One sender per database: a lease row that a sender takes, renews while it runs, and gives back.

A daemon, a second daemon started by mistake, a TUI running its own uploader, and on a site with
several desks the daemons of every desk may all want to send. Taking the lease is one transaction
that holds the database's write lock on SQLite (`BEGIN IMMEDIATE`) and an advisory lock on PostgreSQL
(`agent.store.database.lock`: a row lock alone would not stop two desks from both inserting the first
lease row), so exactly one wins. A process killed without releasing leaves a lease that expires after
`ttl`; the next sender takes it over then. Every holder must use the same `ttl`, as a holder renews
well within it (`dengji agent run --lease-seconds`). Expiry is judged by the database's clock
(`database_now`): the desks' own clocks may disagree by more than a lease lasts.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlmodel import Session

from agent.store.database import Store, database_now, lock
from agent.store.models import SENDER_LEASE_NAME, SenderLease

NAME = SENDER_LEASE_NAME
TTL = timedelta(seconds=30)


def holder_id(role: str) -> str:
    """Who holds the lease, as `role@host:pid` - shown to an operator wondering who sends."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}"


_LOCK = "sender lease " + NAME


def acquire(store: Store, holder: str, ttl: timedelta = TTL, now: datetime | None = None) -> bool:
    """Take or renew the lease; False when another live holder has it."""

    def work(session: Session) -> bool:
        lock(session, _LOCK)
        moment = now or database_now(session)
        lease = session.get(SenderLease, NAME)
        if lease is not None and lease.holder != holder and lease.expires_at > moment:
            return False
        lease = lease or SenderLease(name=NAME, holder=holder, expires_at=moment)
        lease.holder, lease.expires_at = holder, moment + ttl
        session.add(lease)
        return True

    return store.write(work)


def release(store: Store, holder: str) -> None:
    """Give the lease back (if this holder still has it), so the next sender need not wait for expiry."""

    def work(session: Session) -> None:
        lock(session, _LOCK)
        lease = session.get(SenderLease, NAME)
        if lease is not None and lease.holder == holder:
            session.delete(lease)

    store.write(work)


def current_holder(store: Store, now: datetime | None = None) -> str | None:
    """The live holder, if any."""
    with store.read() as session:
        moment = now or database_now(session)
        lease = session.get(SenderLease, NAME)
    return lease.holder if lease is not None and lease.expires_at > moment else None

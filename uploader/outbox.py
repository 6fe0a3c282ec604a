"""The uploader's side of the outbox: turning pending events into a stored sealed batch, and receipts back.

Order of work, each step one write transaction, so a crash between any two leaves a state the next
start continues from without loss or duplication:

1. `next_batch`: if a batch is open (sealed, maybe sent, not answered), return it unchanged - a retry
   after a crash resends the identical bytes under the same idempotency key. Otherwise take pending
   events in order (capped by count and bytes), seal them, store the sealed body, and mark the events
   `in_flight` with the batch id - all in one transaction.
2. (the request, outside any transaction)
3. `record_answer`: write every receipt (`accepted`/`duplicate` -> sent, `rejected` -> rejected with the
   platform's code and message), keep the signed answer as proof, close the batch.

An event whose stored payload cannot be read (a damaged row) is quarantined with a reason instead of
blocking the queue or crashing the sender in a loop.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from agent.domain import CHINA_TIME, OutboxState
from agent.store.database import Store
from agent.store.models import Event, OutboxBatch, OutboxEntry
from agent.store.vault import VaultError
from protocol.keys import CipherSuite
from protocol.messages import Batch, Receipt, ReceiptStatus
from protocol.messages import Event as WireEvent
from protocol.sealing import SealedBatch, seal_batch
from uploader.device import Device

log = logging.getLogger("dengji.uploader.outbox")

MAX_EVENTS = 500
MAX_BYTES = 1_000_000  # JSON before compression


@dataclass(frozen=True)
class PendingBatch:
    """A stored sealed batch waiting for the platform's answer."""

    sealed: SealedBatch
    event_count: int
    attempts: int


def next_batch(store: Store, device: Device, max_events: int = MAX_EVENTS, max_bytes: int = MAX_BYTES,
               now: datetime | None = None) -> PendingBatch | None:
    """The open batch, or a new one sealed from pending events; None when nothing waits."""
    moment = now or datetime.now(UTC)

    def work(session: Session) -> PendingBatch | None:
        open_batch = session.exec(select(OutboxBatch).where(OutboxBatch.state == "open")
                                  .order_by(col(OutboxBatch.created_at))).first()
        if open_batch is not None:
            return _pending(open_batch)
        rows = session.exec(
            select(OutboxEntry, Event).join(Event, col(Event.seq) == OutboxEntry.event_seq)
            .where(OutboxEntry.state == OutboxState.PENDING.value)
            .order_by(col(OutboxEntry.event_seq)).limit(max_events)).all()
        events: list[WireEvent] = []
        entries: list[OutboxEntry] = []
        size = 0
        for entry, event in rows:
            try:
                data = json.loads(store.vault.open(event.payload_sealed, "event.payload") or "")
            except (VaultError, ValueError) as exc:
                _quarantine(session, entry, moment, type(exc).__name__)
                continue
            wire = WireEvent(event.event_id, event.type, event.occurred_at.astimezone(CHINA_TIME).isoformat(), data)
            cost = len(json.dumps(wire.as_dict(), ensure_ascii=False).encode())
            if events and size + cost > max_bytes:
                break
            events.append(wire)
            entries.append(entry)
            size += cost
        if not events:
            return None
        batch = Batch(device.device_id, str(uuid.uuid4()), tuple(events))
        sealed = seal_batch(batch, device.platform_key)
        row = OutboxBatch(batch_id=batch.batch_id, state="open", key_id=sealed.key_id, suite=sealed.suite.value,
                          body=sealed.body, event_count=len(events), created_at=moment)
        session.add(row)
        for entry in entries:
            entry.state = OutboxState.IN_FLIGHT.value
            entry.batch_id = batch.batch_id
            entry.updated_at = moment
            session.add(entry)
        return _pending(row)

    return store.write(work)


def _pending(row: OutboxBatch) -> PendingBatch:
    return PendingBatch(SealedBatch(row.key_id, CipherSuite(row.suite), row.body, row.batch_id),
                        row.event_count, row.attempts)


def _quarantine(session: Session, entry: OutboxEntry, now: datetime, reason: str) -> None:
    log.error("quarantined outbox event seq=%s: payload unreadable (%s)", entry.event_seq, reason)
    entry.state = OutboxState.QUARANTINED.value
    entry.reject_code = "outbox.unreadable"
    entry.reject_zh = "本机保存的这条记录已损坏，无法上报，请重新登记此人"
    entry.reject_en = "this stored record is damaged and cannot be reported: register the person again"
    entry.updated_at = now
    session.add(entry)


def note_attempt(store: Store, batch_id: str, now: datetime | None = None) -> None:
    """Count an attempt on a batch (before it is sent, so a crash mid-request still counts it)."""
    moment = now or datetime.now(UTC)

    def work(session: Session) -> None:
        row = session.get(OutboxBatch, batch_id)
        if row is not None:
            row.attempts += 1
            row.last_attempt_at = moment
            session.add(row)

    store.write(work)


def record_answer(store: Store, batch_id: str, receipts: Sequence[Receipt], answer: bytes,
                  now: datetime | None = None) -> dict[str, int]:
    """Write the platform's receipts back in one transaction; returns counts by receipt status.

    An event of the batch without a receipt (never expected of a correct platform) goes back to pending,
    so it is sent again rather than lost.
    """
    moment = now or datetime.now(UTC)
    by_id = {r.event_id: r for r in receipts}

    def work(session: Session) -> dict[str, int]:
        counts = {status.value: 0 for status in ReceiptStatus}
        counts["missing"] = 0
        rows = session.exec(select(OutboxEntry, Event.event_id).join(Event, col(Event.seq) == OutboxEntry.event_seq)
                            .where(OutboxEntry.batch_id == batch_id)).all()
        for entry, event_id in rows:
            receipt = by_id.get(event_id)
            if receipt is None:
                entry.state, entry.batch_id = OutboxState.PENDING.value, None
                counts["missing"] += 1
            elif receipt.status in (ReceiptStatus.ACCEPTED, ReceiptStatus.DUPLICATE):
                entry.state = OutboxState.SENT.value
                counts[receipt.status.value] += 1
            else:
                entry.state = OutboxState.REJECTED.value
                if receipt.problem is not None:
                    entry.reject_code = receipt.problem.code
                    entry.reject_zh = receipt.problem.zh
                    entry.reject_en = receipt.problem.en
                counts[receipt.status.value] += 1
            entry.updated_at = moment
            session.add(entry)
        batch = session.get(OutboxBatch, batch_id)
        if batch is not None:
            batch.state, batch.answer, batch.answered_at = "answered", answer, moment
            session.add(batch)
        return counts

    return store.write(work)


def abandon_batch(store: Store, batch_id: str, now: datetime | None = None) -> int:
    """Give a batch's events back to the queue, to be sealed again in a new batch.

    For when the platform cannot take that body at all (its key was retired, the body is over its cap):
    the events are not lost, they travel again under a new batch id. Returns the number of events.
    """
    moment = now or datetime.now(UTC)

    def work(session: Session) -> int:
        entries = session.exec(select(OutboxEntry).where(OutboxEntry.batch_id == batch_id,
                                                         OutboxEntry.state == OutboxState.IN_FLIGHT.value)).all()
        for entry in entries:
            entry.state, entry.batch_id, entry.updated_at = OutboxState.PENDING.value, None, moment
            session.add(entry)
        batch = session.get(OutboxBatch, batch_id)
        if batch is not None:
            batch.state = "resealed"
            session.add(batch)
        return len(entries)

    return store.write(work)

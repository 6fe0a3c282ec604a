"""The uploader's side of the outbox: turning pending events into a stored sealed batch, and receipts back.

Order of work, each step one write transaction, so a crash between any two leaves a state the next
start continues from without loss or duplication:

1. `next_batch`: if a batch is open (sealed, maybe sent, not answered), return the one holding the
   earliest event, unchanged - a retry after a crash resends the identical bytes under the same
   idempotency key. Otherwise take pending events in order (capped by count and bytes), seal them, store
   the sealed body, and mark the events `in_flight` with the batch id - all in one transaction, which
   also counts the attempt.
2. (the request, outside any transaction; meanwhile `prepare_next` seals the following batch, so a
   backlog drains at the platform's pace - at most one batch waits prepared)
3. `record_answer`: write every receipt (`accepted`/`duplicate` -> sent, `rejected` -> rejected with the
   platform's code and message), keep the signed answer as proof, close the batch.

An event whose stored payload cannot be read (a damaged row) is quarantined with a reason instead of
blocking the queue or crashing the sender in a loop.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlmodel import Session

from agent.domain import CHINA_TIME, OutboxState
from agent.domain.errors import VaultError
from agent.register.delivery import SenderReport, write_sender_report
from agent.store.database import Store
from agent.store.models import Event, OutboxBatch, OutboxEntry
from protocol.keys import CipherSuite
from protocol.messages import Batch, EncodedData, Receipt, ReceiptStatus
from protocol.messages import Event as WireEvent
from protocol.sealing import SealedBatch, seal_batch
from uploader.device import Device

log = logging.getLogger("dengji.uploader.outbox")

MAX_EVENTS = 2000  # the protocol's most per batch: a drain pays per batch for two commits and a round trip
MAX_BYTES = 4_000_000  # JSON before compression; sealed, well under the platform's 8 MiB body cap
_ENVELOPE = 200  # bytes an event's JSON adds around its data (ids, type, time, keys), at most

outbox = OutboxEntry.__table__
events = Event.__table__
batches = OutboxBatch.__table__


@dataclass(frozen=True)
class PendingBatch:
    """A stored sealed batch waiting for the platform's answer."""

    sealed: SealedBatch
    event_count: int
    attempts: int


def next_batch(store: Store, device: Device, max_events: int = MAX_EVENTS, max_bytes: int = MAX_BYTES,
               now: datetime | None = None) -> PendingBatch | None:
    """The first open batch, or a new one sealed from pending events; None when nothing waits.

    The attempt the batch is taken for is counted in the same transaction (before it is sent, so a crash
    mid-request still counts it). The rows are read and written with Core statements, a few per batch:
    as ORM objects, 2000 events cost more than sealing them.
    """
    moment = now or datetime.now(UTC)

    def work(session: Session) -> PendingBatch | None:
        conn = session.connection()
        first = _open_batches(conn)[:1]
        if first:
            batch = conn.execute(select(batches).where(batches.c.batch_id == first[0])).one()
            conn.execute(update(batches).where(batches.c.batch_id == batch.batch_id)
                         .values(attempts=batches.c.attempts + 1, last_attempt_at=moment))
            return PendingBatch(SealedBatch(batch.key_id, CipherSuite(batch.suite), batch.body, batch.batch_id),
                                batch.event_count, batch.attempts + 1)
        return _seal_pending(conn, store, device, max_events, max_bytes, moment, attempts=1)

    return store.write(work)


def count_attempt(store: Store, batch_id: str, now: datetime | None = None) -> None:
    """Count an attempt of a batch the sender took from memory (sealed by `prepare_next` while the batch
    before was in flight) rather than from `next_batch`, which counts it itself."""
    moment = now or datetime.now(UTC)
    store.write(lambda session: session.connection().execute(
        update(batches).where(batches.c.batch_id == batch_id)
        .values(attempts=batches.c.attempts + 1, last_attempt_at=moment)))


def prepare_next(store: Store, device: Device, sending: str, max_events: int = MAX_EVENTS,
                 max_bytes: int = MAX_BYTES, now: datetime | None = None) -> PendingBatch | None:
    """Seal the batch that follows `sending` (the batch in flight) from the pending events, unless one
    already waits; None when nothing does or nothing is pending.

    The sender calls it while the platform works on `sending`, so that sealing a batch overlaps the
    platform's checks instead of adding to them. Batches still go out one at a time, in the order of
    their events (`next_batch` takes the open batch holding the earliest event), and `abandon_batch`
    gives a prepared batch back with the one before it, so that resealed events never fall behind it.
    """
    moment = now or datetime.now(UTC)

    def work(session: Session) -> PendingBatch | None:
        conn = session.connection()
        if _open_batches(conn) != [sending]:
            return None
        return _seal_pending(conn, store, device, max_events, max_bytes, moment, attempts=0)

    return store.write(work)


def _open_batches(conn: Connection) -> list[str]:
    """The open batches in the order they must go: by the earliest event each holds."""
    first_event = (select(func.min(outbox.c.event_seq)).where(outbox.c.batch_id == batches.c.batch_id)
                   .scalar_subquery())
    return list(conn.execute(select(batches.c.batch_id).where(batches.c.state == "open")
                             .order_by(first_event, batches.c.created_at)).scalars())


def _seal_pending(conn: Connection, store: Store, device: Device, max_events: int, max_bytes: int,
                  moment: datetime, attempts: int) -> PendingBatch | None:
    """A new batch sealed from the first pending events, stored open, its events marked in flight."""
    rows = conn.execute(
        select(outbox.c.event_seq, events.c.event_id, events.c.type, events.c.occurred_at,
               events.c.payload_sealed)
        .join(events, events.c.seq == outbox.c.event_seq)
        .where(outbox.c.state == OutboxState.PENDING.value)
        .order_by(outbox.c.event_seq).limit(max_events)).all()
    wire_events: list[WireEvent] = []
    taken: list[int] = []
    size = 0
    for seq, event_id, event_type, occurred_at, payload_sealed in rows:
        try:
            text = store.vault.open(payload_sealed, "event.payload") or ""
        except VaultError as exc:
            _quarantine(conn, seq, moment, type(exc).__name__)
            continue
        # The payload is the JSON object the register wrote, authenticated by the vault: it goes into the
        # batch as it stands, not decoded and encoded again.
        if not (text.startswith("{") and text.endswith("}")):
            _quarantine(conn, seq, moment, "not a JSON object")
            continue
        cost = len(text.encode()) + _ENVELOPE
        if wire_events and size + cost > max_bytes:
            break
        wire_events.append(WireEvent(event_id, event_type, occurred_at.astimezone(CHINA_TIME).isoformat(),
                                      EncodedData(text)))
        taken.append(seq)
        size += cost
    if not wire_events:
        return None
    batch = Batch(device.device_id, str(uuid.uuid4()), tuple(wire_events))
    sealed = seal_batch(batch, device.platform_key, device.suites)
    conn.execute(insert(batches).values(batch_id=batch.batch_id, state="open", key_id=sealed.key_id,
                                        suite=sealed.suite.value, body=sealed.body, event_count=len(wire_events),
                                        attempts=attempts, created_at=moment,
                                        last_attempt_at=moment if attempts else None))
    # One statement with the list, not one per event: 2000 parameter sets cost more than the sealing.
    conn.execute(update(outbox).where(outbox.c.event_seq.in_(taken))
                 .values(state=OutboxState.IN_FLIGHT.value, batch_id=batch.batch_id, updated_at=moment))
    return PendingBatch(sealed, len(wire_events), attempts)


def _quarantine(conn: Connection, seq: int, now: datetime, reason: str) -> None:
    log.error("quarantined outbox event seq=%s: payload unreadable (%s)", seq, reason)
    conn.execute(update(outbox).where(outbox.c.event_seq == seq).values(
        state=OutboxState.QUARANTINED.value, reject_code="outbox.unreadable",
        reject_zh="本机保存的这条记录已损坏，无法上报，请重新登记此人",
        reject_en="this stored record is damaged and cannot be reported: register the person again",
        updated_at=now))


def receipt_counts(receipts: Sequence[Receipt]) -> dict[str, int]:
    """Counts by receipt status, as `record_answer` returns them, from the receipts alone."""
    counts = {status.value: 0 for status in ReceiptStatus}
    counts["missing"] = 0
    for receipt in {r.event_id: r for r in receipts}.values():
        counts[receipt.status.value] += 1
    return counts


def record_answer(store: Store, batch_id: str, receipts: Sequence[Receipt], answer: bytes,
                  now: datetime | None = None, report: SenderReport | None = None) -> dict[str, int]:
    """Write the platform's receipts back in one transaction (with the sender's `report`, when given);
    returns counts by receipt status.

    An event of the batch without a receipt (never expected of a correct platform) goes back to pending,
    so it is sent again rather than lost.
    """
    moment = now or datetime.now(UTC)
    by_id = {r.event_id: r for r in receipts}

    def work(session: Session) -> dict[str, int]:
        conn = session.connection()
        counts = {status.value: 0 for status in ReceiptStatus}
        counts["missing"] = 0
        rows = conn.execute(select(outbox.c.event_seq, events.c.event_id)
                            .join(events, events.c.seq == outbox.c.event_seq)
                            .where(outbox.c.batch_id == batch_id)).all()
        sent = 0
        missing: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for seq, event_id in rows:
            receipt = by_id.get(event_id)
            if receipt is None:
                missing.append({"seq": seq})
                counts["missing"] += 1
            elif receipt.status in (ReceiptStatus.ACCEPTED, ReceiptStatus.DUPLICATE):
                sent += 1
                counts[receipt.status.value] += 1
            else:
                problem = receipt.problem
                rejected.append({"seq": seq, "code": problem.code if problem else None,
                                 "zh": problem.zh if problem else None, "en": problem.en if problem else None})
                counts[receipt.status.value] += 1
        if missing:
            conn.execute(update(outbox).where(outbox.c.event_seq == bindparam("seq"))
                         .values(state=OutboxState.PENDING.value, batch_id=None, updated_at=moment), missing)
        for entry in rejected:  # rare: one statement each, keeping a receipt without a problem's old reason
            values: dict[str, Any] = {"state": OutboxState.REJECTED.value, "updated_at": moment}
            if entry["code"] is not None:
                values.update(reject_code=entry["code"], reject_zh=entry["zh"], reject_en=entry["en"])
            conn.execute(update(outbox).where(outbox.c.event_seq == entry["seq"]).values(**values))
        if sent:  # what is left in flight of the batch is what was accepted: one statement, not 2000
            conn.execute(update(outbox).where(outbox.c.batch_id == batch_id,
                                              outbox.c.state == OutboxState.IN_FLIGHT.value)
                         .values(state=OutboxState.SENT.value, updated_at=moment))
        conn.execute(update(batches).where(batches.c.batch_id == batch_id)
                     .values(state="answered", answer=answer, answered_at=moment))
        if missing:  # back to pending: a batch prepared after this one must not go before them
            _give_back(conn, _open_batches(conn), moment)
        if report is not None:
            write_sender_report(session, report)
        return counts

    return store.write(work)


def abandon_batch(store: Store, batch_id: str, now: datetime | None = None) -> int:
    """Give a batch's events back to the queue, to be sealed again in a new batch, with those of any open
    batch after it (prepared while it was in flight): resealed, its events must still go first.

    For when the platform cannot take that body at all (its key was retired, the body is over its cap):
    the events are not lost, they travel again under a new batch id. Returns the number of events.
    """
    moment = now or datetime.now(UTC)

    def work(session: Session) -> int:
        conn = session.connection()
        order = _open_batches(conn)
        given_back = order[order.index(batch_id):] if batch_id in order else [batch_id]
        return _give_back(conn, given_back, moment)

    return store.write(work)


def _give_back(conn: Connection, batch_ids: list[str], moment: datetime) -> int:
    """The in-flight events of these batches back to pending, the batches closed as `resealed`."""
    count = 0
    for batch_id in batch_ids:
        count += conn.execute(update(outbox).where(outbox.c.batch_id == batch_id,
                                                   outbox.c.state == OutboxState.IN_FLIGHT.value)
                              .values(state=OutboxState.PENDING.value, batch_id=None, updated_at=moment)).rowcount
        conn.execute(update(batches).where(batches.c.batch_id == batch_id).values(state="resealed"))
    return count

"""Recording a batch: one transaction, one receipt per event, the same answer every time it comes back.

The write path, in order:

1. `open_batch`: open the seal, decompress, parse, and run the content checks (`receiver.content`). This
   is the costly part (the registration validators) and needs no database, so it runs outside the
   transaction, in worker processes when the server has them (`serve --workers N`);
2. `record_batch`, in one write transaction (one device's batches one at a time): the stored answer
   for (device, batch id) if any - the same plaintext gets the same answer verbatim, a different one
   `idempotency.key_reused` (422); the event ids already recorded (duplicates, across batches and
   outages); the registrations the events refer to; then one statement for all the events (`ON CONFLICT
   DO NOTHING`, so a concurrent writer cannot record one twice), one for the registrations, and the
   signed answer;
3. commit. Only then is "accepted" said: the answer is final.

A dry run does steps 1 and 2 in a read-only transaction and writes nothing; its receipts say `valid`
where a real run would say `accepted`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from agent.domain import EventType
from agent.validation.problems import Problem
from protocol.keys import CipherSuite, PlatformSecret
from protocol.messages import Batch, Event, MalformedMessage, Receipt, ReceiptStatus, parse_batch
from protocol.receipts import receipts_statement, signed_json
from protocol.refusals import Refusal
from protocol.sealing import BATCH, CannotOpen, open_sealed
from receiver.content import Checked, check_departure_rule, check_event
from receiver.keyring import KeyRing
from receiver.storage import Storage, iso

UNKNOWN_REGISTRATION = Problem(
    "registration.unknown", "平台没有这条登记（登记编号未知或已撤销），请先上报登记。",
    "The platform holds no such registration (unknown or cancelled registration id); report it first.",
    "registration_id")
REGISTRATION_EXISTS = Problem(
    "registration.exists", "这个登记编号已经上报过，修改请用变更或更正事件。",
    "This registration id was already reported; send an update or a correction instead.", "registration_id")
UNIT_NOT_FILED = Problem(
    "unit.not_filed", "这个房间/单元没有在公安机关备案，请核对房间号，或先到派出所办理备案。",
    "This unit is not on file with the police station: check the unit, or file it at the station first.",
    "unit")
ID_CONFLICT = Problem(
    "event.id_conflict", "事件编号已被另一台设备使用，请生成新的事件编号。",
    "Another device already used this event id; generate a new one.", "event_id")


_NAMES_A_UNIT = frozenset({EventType.REGISTERED.value, EventType.UPDATED.value, EventType.CORRECTED.value})


@dataclass
class _Registration:
    """A registration's state while the batch is decided: from the database, then as events change it."""

    arrived_at: str | None
    departed_at: str | None
    cancelled: bool
    last_event_id: str
    changed: bool = False


def _decide(storage: Storage, conn: Connection, device_id: str, batch: Batch, checks: list[Checked],
            now: datetime) -> tuple[list[Receipt | None], list[Event], dict[str, _Registration]]:
    """Receipts for the events that are not accepted (None where accepted), the events to record,
    and the registrations as they stand after the batch."""
    # An id with control characters was never stored (its shape check refuses it), so it is not looked
    # up either: PostgreSQL refuses a NUL even inside a query.
    ids = [event.event_id for event in batch.events if event.event_id.isprintable()]
    known = storage.known_events(conn, ids)
    registration_ids = sorted({event.data["registration_id"] for event, checked in zip(batch.events, checks)
                               if checked.problem is None and isinstance(event.data, dict)
                               and isinstance(event.data.get("registration_id"), str)})
    state = {rid: _Registration(row.arrived_at, row.departed_at, bool(row.cancelled), row.last_event_id)
             for rid, row in storage.registrations_of(conn, device_id, registration_ids).items()}
    filed = storage.filed_units_of(conn, device_id)
    receipts: list[Receipt | None] = []
    accepted: list[Event] = []
    first: dict[str, Receipt | None] = {}  # an id twice in one batch: the second shares the first's fate
    for event, checked in zip(batch.events, checks):
        if known.get(event.event_id) == device_id or first.get(event.event_id, ...) is None:
            receipts.append(Receipt(event.event_id, ReceiptStatus.DUPLICATE))
            continue
        if event.event_id in first:
            receipts.append(first[event.event_id])
            continue
        problem = ID_CONFLICT if event.event_id in known else checked.problem
        if problem is None and filed and event.type in _NAMES_A_UNIT and event.data.get("unit") not in filed:
            problem = UNIT_NOT_FILED
        if problem is None:
            problem = _apply(event, checked, state, now)
        receipt = Receipt(event.event_id, ReceiptStatus.REJECTED, problem) if problem is not None else None
        first[event.event_id] = receipt
        receipts.append(receipt)
        if receipt is None:
            accepted.append(event)
    return receipts, accepted, state


def _apply(event: Event, checked: Checked, state: dict[str, _Registration], now: datetime) -> Problem | None:
    """Apply one valid event to the registrations it concerns; a problem if the records forbid it."""
    kind = EventType(event.type)
    if kind is EventType.NO_ARRIVALS:
        return None
    rid = event.data["registration_id"]
    current = state.get(rid)
    live = current is not None and not current.cancelled
    arrived = iso(checked.arrived_at) if checked.arrived_at is not None else None
    departed = iso(checked.departed_at) if checked.departed_at is not None else None
    if kind is EventType.REGISTERED:
        if live:
            return REGISTRATION_EXISTS
        state[rid] = _Registration(arrived, departed, False, event.event_id, changed=True)
        return None
    if kind is EventType.CORRECTED:
        state[rid] = _Registration(arrived or (current.arrived_at if current else None),
                                   departed or (current.departed_at if current else None), False,
                                   event.event_id, changed=True)
        return None
    if not live:
        return UNKNOWN_REGISTRATION
    assert current is not None
    if kind is EventType.DEPARTED:
        assert checked.departed_at is not None
        arrival = datetime.fromisoformat(current.arrived_at) if current.arrived_at else None
        problem = check_departure_rule(arrival, checked.departed_at, now)
        if problem is not None:
            return problem
        current.departed_at = iso(checked.departed_at)
    elif kind is EventType.UPDATED:
        current.arrived_at = arrived or current.arrived_at
        current.departed_at = departed or current.departed_at
    elif kind is EventType.CANCELLED:
        current.cancelled = True
    current.last_event_id = event.event_id
    current.changed = True
    return None


def _event_row(event: Event, device_id: str, batch_id: str, received_at: str) -> tuple[Any, ...]:
    data = event.data
    return (event.event_id, device_id, batch_id, event.type, event.occurred_at, data.get("registration_id"),
            json.dumps(data, ensure_ascii=False, separators=(",", ":")), received_at)


@dataclass(frozen=True)
class Opened:
    """A batch opened and checked, ready to be recorded."""

    batch: Batch
    digest: str  # SHA-256 of the plaintext: the same batch id must come back with the same content
    checks: list[Checked]


_secrets: dict[str, PlatformSecret] = {}  # per process: keeps each key's built key objects


def open_batch(secret: PlatformSecret, suite: CipherSuite, body: bytes, device_id: str, batch_id: str,
               now: datetime, max_plaintext: int) -> Opened | str:
    """Open, parse and check a sealed batch: an `Opened`, or the refusal code (a plain value, so that
    the answer crosses a process boundary)."""
    secret = _secrets.setdefault(secret.key_id, secret)
    try:
        plaintext = open_sealed(body, secret, suite, BATCH, device_id, max_plaintext)
        batch = parse_batch(plaintext)
    except (CannotOpen, MalformedMessage) as exc:
        return exc.code
    if batch.device_id != device_id or batch.batch_id != batch_id:
        return "batch.mismatch"
    return Opened(batch, hashlib.sha256(plaintext).hexdigest(), [check_event(event, now) for event in batch.events])


def record_batch(storage: Storage, keys: KeyRing, device_id: str, opened: Opened, now: datetime) -> bytes:
    """Record the batch (or check it, for a dry run); the signed answer as JSON, without the key
    announcement (which is the current one at each answer, while the receipts never change)."""
    batch, checks = opened.batch, opened.checks
    received_at = iso(now)
    if batch.dry_run:
        with storage.read() as conn:
            receipts, _, _ = _decide(storage, conn, device_id, batch, checks, now)
        final = [r or Receipt(e.event_id, ReceiptStatus.VALID) for r, e in zip(receipts, batch.events)]
        return signed_json(receipts_statement(device_id, batch.batch_id, received_at, final, True),
                           keys.receipt_key)
    with storage.write() as conn:
        storage.lock_device(conn, device_id)
        stored = storage.answer(conn, device_id, batch.batch_id)
        if stored is not None:
            if stored.plaintext_digest != opened.digest:
                raise Refusal.of("idempotency.key_reused")
            return stored.answer.encode("utf-8")
        receipts, accepted, state = _decide(storage, conn, device_id, batch, checks, now)
        inserted = storage.insert_events(conn, [_event_row(e, device_id, batch.batch_id, received_at)
                                                for e in accepted])
        storage.upsert_registrations(conn, [(device_id, rid, r.arrived_at, r.departed_at, r.cancelled,
                                             r.last_event_id) for rid, r in state.items() if r.changed])
        final = [r or Receipt(e.event_id, ReceiptStatus.ACCEPTED if e.event_id in inserted
                              else ReceiptStatus.DUPLICATE)
                 for r, e in zip(receipts, batch.events)]
        answer = signed_json(receipts_statement(device_id, batch.batch_id, received_at, final, False),
                             keys.receipt_key)
        storage.save_answer(conn, device_id=device_id, batch_id=batch.batch_id, plaintext_digest=opened.digest,
                            answer=answer.decode("utf-8"), received_at=received_at)
        return answer

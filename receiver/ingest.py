"""Recording a batch: one transaction, one receipt per event, the same answer every time it comes back.

The write path, in order:

1. `open_batch`: open the seal, decompress, parse, run the content checks (`receiver.content`) and
   prepare each event's row. This is the costly part (the registration validators) and needs no
   database, so it runs outside the transaction, in worker processes when the server has them
   (`serve --workers N`), which share a batch between them in slices (`join_parts`) when it is the
   only one;
2. `record_batch`, in one write transaction (one device's batches one at a time): the stored answer
   for (device, batch id) if any - the same plaintext gets the same answer verbatim, a different one
   `idempotency.key_reused` (422); the event ids already recorded (duplicates, across batches and
   outages); the registrations the events refer to; then one statement for all the events (`ON CONFLICT
   DO NOTHING`, so a concurrent writer cannot record one twice), one for the registrations, and the
   signed answer;
3. commit. Only then is "accepted" said: the answer is final.

A dry run does steps 1 and 2 in a read-only transaction and writes nothing; its receipts say `valid`
where a real run would say `accepted`.

A batch that a worker process checks whole, it also records (`open_and_record`), on a connection of its
own: the server's process then only reads requests and sends answers, and the recording's Python work no
longer waits for that process's GIL. The database serialises the writers of all the processes (SQLite's
write lock, which the operating system releases if a worker dies; PostgreSQL's row and advisory locks).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection

from agent.domain import CHINA_TIME, EventType
from agent.domain.problems import Problem
from agent.validation.arrival_rules import ADULT_AGE, NO_VENUE, VenueRules, age_on
from agent.validation.normalise import compact_number
from agent.validation.registration import FUTURE_TOLERANCE
from protocol.keys import ED25519, CipherSuite, PlatformSecret, ReceiptKey
from protocol.messages import (
    EVENT_TYPES,
    Event,
    MalformedMessage,
    Receipt,
    ReceiptStatus,
    parse_batch,
)
from protocol.receipts import receipts_statement, signed_anew, signed_json
from protocol.refusals import Refusal
from protocol.sealing import BATCH, CannotOpen, open_sealed
from receiver.content import Checked, check_departure_rule, check_event
from receiver.keyring import receipt_key_of
from receiver.stay_events import STAY_EVENTS, StayRecords
from receiver.storage import Storage, iso, merge_presence

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


_NAMES_A_UNIT = frozenset({EventType.REGISTERED.value, EventType.UPDATED.value, EventType.CORRECTED.value,
                           EventType.UNIT_CHANGED.value})


@dataclass
class _Registration:
    """A registration's state while the batch is decided: from the database, then as events change it."""

    arrived_at: str | None
    departed_at: str | None
    cancelled: bool
    last_event_id: str
    changed: bool = False


def _decide(storage: Storage, conn: Connection, device_id: str, items: list[Item], now: datetime
            ) -> tuple[list[dict[str, Any] | None], list[Item], dict[str, _Registration], StayRecords | None]:
    """Receipts (as `Receipt.as_dict()`) for the events that are not accepted (None where accepted),
    the events to record, the registrations as they stand after the batch, and the visits (when the
    batch holds stay events: `receiver.stay_events`)."""
    # An id with control characters was never stored (its shape check refuses it), so it is not looked
    # up either: PostgreSQL refuses a NUL even inside a query.
    ids = [item.event_id for item in items if item.event_id.isprintable()]
    known = storage.known_events(conn, ids)
    registration_ids = sorted({item.registration_id for item in items
                               if item.problem is None and item.registration_id is not None})
    state = {rid: _Registration(arrived_at, departed_at, bool(cancelled), last_event_id)
             for rid, arrived_at, departed_at, cancelled, last_event_id
             in storage.registrations_of(conn, device_id, registration_ids)}
    filed = storage.filed_units_of(conn, device_id)
    stay = StayRecords(storage, conn, device_id, items) \
        if any(EVENT_TYPES.get(item.type) in STAY_EVENTS for item in items if isinstance(item.type, str)) else None
    latest = iso(now + FUTURE_TOLERANCE)
    receipts: list[dict[str, Any] | None] = []
    accepted: list[Item] = []
    first: dict[str, dict[str, Any] | None] = {}  # an id twice in one batch: the second shares the first's fate
    for item in items:
        event_id = item.event_id
        if known.get(event_id) == device_id or first.get(event_id, ...) is None:
            receipts.append(Receipt(event_id, ReceiptStatus.DUPLICATE).as_dict())
            continue
        if event_id in first:
            receipts.append(first[event_id])
            continue
        problem = ID_CONFLICT if event_id in known else item.problem
        if problem is None and filed and item.type in _NAMES_A_UNIT and item.unit not in filed:
            problem = UNIT_NOT_FILED
        if problem is None and item.type in _NAMES_A_UNIT and item.data and '"companions"' in item.data:
            problem = _companions_problem(storage, conn, device_id, item, accepted, state)
        if problem is None:
            problem = _apply(item, state, now, latest, stay)
        receipt = Receipt(event_id, ReceiptStatus.REJECTED, problem).as_dict() if problem is not None else None
        first[event_id] = receipt
        receipts.append(receipt)
        if receipt is None:
            accepted.append(item)
    return receipts, accepted, state, stay


def _companions_problem(storage: Storage, conn: Connection, device_id: str, item: Item, accepted: list[Item],
                        state: dict[str, _Registration]) -> Problem | None:
    """The agent's rule on a minor's companions, against what the platform holds: each an adult present
    in the same unit - registered before, or earlier in this batch - and not departed or cancelled."""
    data = json.loads(item.data or "{}")
    companions, unit = data.get("companions"), data.get("unit")
    if not isinstance(companions, list) or not companions:
        return None
    present = storage.present_people(conn, device_id)
    for earlier in accepted:  # this batch's earlier events, in order
        if earlier.registration_id is not None and earlier.data:
            present[earlier.registration_id] = merge_presence(present.get(earlier.registration_id),
                                                              json.loads(earlier.data))
    gone = {rid for rid, reg in state.items() if reg.cancelled or reg.departed_at}
    here = {compact_number(number): born for rid, (where, number, born) in present.items()
            if where == unit and number and rid not in gone and rid != item.registration_id}
    arrival = datetime.fromisoformat(item.arrived_at).astimezone(CHINA_TIME).date() if item.arrived_at else None
    for index, companion in enumerate(companions):
        number = companion.get("doc_number") if isinstance(companion, dict) else None
        path = f"companions.{index}.doc_number"
        if number not in here:
            return Problem("registration.companion_not_present",
                           f"第 {index + 1} 位同住人员不在该房间登记入住：请先上报其登记",
                           f"companion {index + 1} is not checked in to this unit: report their registration first",
                           path)
        born = here[number]
        try:
            minor = born is not None and arrival is not None and age_on(born, arrival) < ADULT_AGE
        except ValueError:
            minor = False
        if minor:
            return Problem("registration.companion_minor", f"第 {index + 1} 位同住人员未满18周岁，不能作为陪同的成年人",
                           f"companion {index + 1} is under 18 and cannot be the accompanying adult", path)
    return None


def _apply(item: Item, state: dict[str, _Registration], now: datetime, latest: str,
           stay: StayRecords | None) -> Problem | None:
    """Apply one valid event to the registrations it concerns; a problem if the records forbid it.
    `latest` is the latest departure time allowed now, as stored (`iso`)."""
    kind = EVENT_TYPES[item.type]
    if kind is EventType.NO_ARRIVALS:
        return None
    rid = item.registration_id
    assert rid is not None  # the shape check requires one of every other event type
    current = state.get(rid)
    live = current is not None and not current.cancelled
    arrived, departed = item.arrived_at, item.departed_at
    if kind is EventType.REGISTERED:
        if live:
            return REGISTRATION_EXISTS
        state[rid] = _Registration(arrived, departed, False, item.event_id, changed=True)
        return None
    if kind is EventType.CORRECTED:
        state[rid] = _Registration(arrived or (current.arrived_at if current else None),
                                   departed or (current.departed_at if current else None), False,
                                   item.event_id, changed=True)
        return None
    if not live:
        return UNKNOWN_REGISTRATION
    assert current is not None
    if kind is EventType.DEPARTED:
        assert departed is not None
        # Stored times are UTC text of one width, so they compare as strings; only a departure that
        # breaks the rule is handed to the agent's own check, for its exact problem.
        arrival = current.arrived_at
        if arrival and not arrival <= departed <= latest:
            problem = check_departure_rule(datetime.fromisoformat(arrival), datetime.fromisoformat(departed), now)
            if problem is not None:
                return problem
        current.departed_at = departed
        if stay is not None:
            stay.departed(item)
    elif kind in STAY_EVENTS:
        assert stay is not None  # made for every batch that holds one
        problem = stay.apply(item, kind, current, now)
        if problem is not None:
            return problem
        if kind in (EventType.VISIT, EventType.VISIT_END):
            return None  # the visit changed, not the registration
    elif kind is EventType.UPDATED:
        current.arrived_at = arrived or current.arrived_at
        current.departed_at = departed or current.departed_at
    elif kind is EventType.CANCELLED:
        current.cancelled = True
    current.last_event_id = item.event_id
    current.changed = True
    return None


class Item(NamedTuple):
    """One event of an opened batch, as the write transaction needs it: the content checks' verdict, and
    what would be stored, prepared in the checker process so that the transaction (one at a time, the
    platform's narrowest point) only decides and writes."""

    event_id: str
    type: Any
    problem: Problem | None  # the content checks' verdict
    registration_id: str | None = None  # the data's, when it is a string
    occurred_at: str | None = None  # the rest only when the checks passed: as received
    data: str | None = None  # as stored: JSON
    arrived_at: str | None = None  # as stored (`iso`), when the event carries one
    departed_at: str | None = None
    unit: str | None = None  # the data's, for the check against the units a venue filed


def _item(event: Event, checked: Checked) -> tuple[Any, ...]:
    """An `Item` as a plain tuple: it crosses from a checker process, and plain tuples cost 1.8 µs an
    event to pickle and 0.9 to unpickle, against 4.0 and 7.8 for the same fields as named tuples (the
    unpickling is on the main process, the platform's narrowest point). `Item(*item)` gives it its
    names back."""
    data = event.data
    if checked.problem is not None:
        rid = data.get("registration_id") if isinstance(data, dict) else None
        return (event.event_id, event.type, checked.problem, rid if isinstance(rid, str) else None)
    arrived, departed = checked.arrived_at, checked.departed_at
    # Text or nothing: a no-arrivals report's data may hold anything under these keys (the fuzzer sent a
    # list, which cannot be looked up or stored in a text column).
    rid, unit = data.get("registration_id"), data.get("unit")
    return (event.event_id, event.type, None, rid if isinstance(rid, str) else None, event.occurred_at,
            checked.data, iso(arrived) if arrived is not None else None,
            iso(departed) if departed is not None else None, unit if isinstance(unit, str) else None)


@dataclass(frozen=True)
class Opened:
    """A batch opened and checked (or a slice of its events), ready to be recorded."""

    batch_id: str
    dry_run: bool
    digest: str  # SHA-256 of the plaintext: the same batch id must come back with the same content
    items: list[tuple[Any, ...]]  # `Item`s as plain tuples (see `_item`)


_secrets: dict[str, PlatformSecret] = {}  # per process: keeps each key's built key objects


def open_batch(secret: PlatformSecret, suite: CipherSuite, body: bytes, device_id: str, batch_id: str,
               now: datetime, max_plaintext: int, part: int = 0, parts: int = 1,
               venue: VenueRules = NO_VENUE) -> Opened | str:
    """Open, parse and check a sealed batch: an `Opened`, or the refusal code (a plain value, so that
    the answer crosses a process boundary).

    With `parts` > 1, only the `part`-th of `parts` contiguous slices of the events is checked: the
    checker processes share one batch (opening it is cheap next to checking its events), and
    `join_parts` puts the slices back together in order."""
    secret = _secrets.setdefault(secret.key_id, secret)
    try:
        plaintext = open_sealed(body, secret, suite, BATCH, device_id, max_plaintext)
        batch = parse_batch(plaintext)
    except (CannotOpen, MalformedMessage) as exc:
        return exc.code
    if batch.device_id != device_id or batch.batch_id != batch_id:
        return "batch.mismatch"
    events = batch.events
    if parts > 1:
        size = -(-len(events) // parts)
        events = events[part * size:(part + 1) * size]
    items = [_item(event, check_event(event, now, venue)) for event in events]
    digest = hashlib.sha256(plaintext).hexdigest() if part == 0 else ""  # `join_parts` keeps the first's
    return Opened(batch.batch_id, batch.dry_run, digest, items)


_recorder: tuple[Storage, ReceiptKey] | None = None  # per checker process: `start_recorder`'s


def start_recorder(url: str) -> None:
    """Open the database in a new checker process, so that it can record the batches it checks whole."""
    global _recorder
    storage = Storage(url)
    _recorder = (storage, receipt_key_of(storage.receipt_key()))


def open_and_record(secret: PlatformSecret, suite: CipherSuite, body: bytes, device_id: str, batch_id: str,
                    now: datetime, max_plaintext: int, receipt_key_id: str,
                    venue: VenueRules = NO_VENUE) -> bytes | str:
    """`open_batch` and `record_batch` in a checker process (after `start_recorder`): the signed answer,
    or the refusal code (a plain value, so that it crosses the process boundary). `receipt_key_id` is
    the server's current receipt key: after a rotation the checker loads it (its private half does not
    travel with every batch)."""
    global _recorder
    assert _recorder is not None, "start_recorder runs first in every checker process"
    opened = open_batch(secret, suite, body, device_id, batch_id, now, max_plaintext, venue=venue)
    if isinstance(opened, str):
        return opened
    storage, receipt_key = _recorder
    if receipt_key.key_id != receipt_key_id:
        _recorder = storage, receipt_key = (storage, receipt_key_of(storage.receipt_key()))
    try:
        return record_batch(storage, receipt_key, device_id, opened, now, suite.signature_algorithm)
    except Refusal as refusal:
        return refusal.problem.code


def join_parts(parts: list[Opened | str]) -> Opened | str:
    """The slices of one batch from `open_batch(..., part, parts)`, as one `Opened` (or the refusal)."""
    for opened in parts:
        if isinstance(opened, str):
            return opened
    first = parts[0]
    assert isinstance(first, Opened)
    return Opened(first.batch_id, first.dry_run, first.digest,
                  [item for opened in parts if isinstance(opened, Opened) for item in opened.items])


def record_batch(storage: Storage, receipt_key: ReceiptKey, device_id: str, opened: Opened, now: datetime,
                 alg: str = ED25519) -> bytes:
    """Record the batch (or check it, for a dry run); the signed answer as JSON, without the key
    announcement (which is the current one at each answer, while the receipts never change). `alg` is
    the algorithm of the request's suite (`sm2-sm3` in the national suite)."""
    items = [Item(*item) for item in opened.items]
    received_at = iso(now)
    if opened.dry_run:
        with storage.read() as conn:
            receipts, _, _, _ = _decide(storage, conn, device_id, items, now)
        final = [r or {"event_id": i.event_id, "status": ReceiptStatus.VALID.value} for r, i in zip(receipts, items)]
        return signed_json(receipts_statement(device_id, opened.batch_id, received_at, final, True),
                           receipt_key, alg)
    with storage.write() as conn:
        storage.lock_device(conn, device_id)
        stored = storage.answer(conn, device_id, opened.batch_id)
        if stored is not None:
            if stored.plaintext_digest != opened.digest:
                raise Refusal.of("idempotency.key_reused")
            kept = stored.answer.encode("utf-8")
            if f'"signed_by": "{receipt_key.key_id}"'.encode() not in kept[:200]:
                return signed_anew(kept, receipt_key)  # signed by a receipt key since replaced
            return kept
        receipts, accepted, state, stay = _decide(storage, conn, device_id, items, now)
        inserted = storage.insert_events(conn, [(item.event_id, device_id, opened.batch_id, item.type,
                                                 item.occurred_at, item.registration_id, item.data, received_at)
                                                for item in accepted])
        storage.upsert_registrations(conn, [(device_id, rid, r.arrived_at, r.departed_at, r.cancelled,
                                             r.last_event_id) for rid, r in state.items() if r.changed])
        if stay is not None:
            storage.upsert_visits(conn, stay.rows(device_id))
        # What `Receipt.as_dict()` gives, written out: 500 to 2000 receipts a batch, in the one writer.
        accepted_status, duplicate_status = ReceiptStatus.ACCEPTED.value, ReceiptStatus.DUPLICATE.value
        final = [r or {"event_id": i.event_id,
                       "status": accepted_status if i.event_id in inserted else duplicate_status}
                 for r, i in zip(receipts, items)]
        answer = signed_json(receipts_statement(device_id, opened.batch_id, received_at, final, False),
                             receipt_key, alg)
        storage.save_answer(conn, device_id=device_id, batch_id=opened.batch_id,
                            plaintext_digest=opened.digest, answer=answer.decode("utf-8"), received_at=received_at)
        return answer

"""Sending the outbox to the platform, one stored sealed batch at a time, until it is empty.

At-least-once delivery plus the platform's idempotent receipts gives exactly-once recording: a batch is
sealed and stored before its first attempt, resent byte for byte under the same Idempotency-Key after
any failure or crash, and signed anew for every attempt (a signature is good once, for 5 minutes).

What each end of a request leads to (nothing ever drops an event):

| end of the request                               | then                                              |
| ------------------------------------------------ | ------------------------------------------------- |
| 2xx with verified receipts                       | write receipts (sent / rejected), next batch      |
| 2xx whose signature does not verify              | keep the batch, retry with backoff                |
| unreachable, timeout, 408, 409, 5xx              | keep the batch, retry with backoff                |
| 429, 503 with Retry-After                        | keep the batch, wait at least Retry-After         |
| `seal.key_expired` / `seal.unknown_key`          | learn the new key, reseal the events, send again  |
| `body.too_large`                                 | reseal the events in half-size batches            |
| other refusals of the body (400, 422)            | reseal under a new batch id, retry with backoff   |
| `signature.stale` (clock off by > 5 min)         | tell the operator to set the clock; keep retrying |
| revoked / unknown device, bad signature (401/403)| tell the operator; keep retrying at the cap       |
| a redirect (3xx): never followed                 | tell the operator; keep retrying at the cap       |
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from agent.register.delivery import SenderReport, save_sender_report
from agent.store.database import Store
from agent.validation import Problem
from protocol import json_text
from protocol.messages import Receipt
from protocol.receipts import UnverifiedAnswer, verify_receipts
from protocol.refusals import Refusal, explain_suite_required
from protocol.signatures import sign_request
from uploader.backoff import Backoff
from uploader.device import Device, save_device
from uploader.outbox import (
    MAX_EVENTS,
    PendingBatch,
    abandon_batch,
    count_attempt,
    next_batch,
    prepare_next,
    receipt_counts,
    record_answer,
)
from uploader.platform_keys import adopt_announced_key, follow_receipt_key
from uploader.transport import Answer, Transport, Unreachable

log = logging.getLogger("dengji.uploader.sender")

BATCHES_PATH = "/v1/batches"
_RETRYABLE_STATUS = {408, 409, 429}
_RESEAL_CODES = {"idempotency.key_reused", "body.not_sealed", "body.not_compressed", "batch.malformed",
                 "batch.mismatch", "seal.unsupported_suite"}


@dataclass(frozen=True)
class Step:
    """The result of one attempt: what happened and how long to wait before the next."""

    kind: str  # idle | answered | retry | blocked
    wait: float = 0.0
    receipts: dict[str, int] = field(default_factory=dict)
    problem: Problem | None = None


@dataclass(frozen=True)
class _Answered:
    """A verified answer, to be written back in one transaction."""

    batch_id: str
    receipts: list[Receipt]
    body: bytes
    at: datetime
    report: SenderReport

    def write(self, store: Store) -> dict[str, int]:
        return record_answer(store, self.batch_id, self.receipts, self.body, self.at, self.report)


class Sender:
    """Sends batches for one device over one transport; keeps its failure count for backoff."""

    def __init__(self, store: Store, device: Device, transport: Transport, backoff: Backoff | None = None,
                 clock: Callable[[], datetime] | None = None, max_events: int = MAX_EVENTS) -> None:
        self.store = store
        self.device = device
        self.transport = transport
        self.backoff = backoff or Backoff()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.max_events = max_events
        self.failures = 0
        self.attempts = 0
        self._last_success: datetime | None = None
        self._reported: SenderReport | None = None
        # An answer to write back beside the next request, and that next batch (sealed beside the last one).
        self._held: tuple[_Answered, PendingBatch] | None = None

    async def step(self) -> Step:
        """Send (or resend) one batch and write down what became of it.

        A backlog drains as a pipeline: while the platform works on one batch, the answer to the one
        before is written back and the one after is sealed (in a thread: CPU and SQLite work), so that
        it goes at the platform's pace rather than the sum of both sides'. Batches still go one at a
        time, each only after the one before was answered.
        """
        held, self._held = self._held, None
        answered: _Answered | None = None
        if held is not None:
            answered, pending = held  # the batch sealed and stored while the answered one was in flight
        else:
            taken = next_batch(self.store, self.device, max_events=self.max_events, now=self.clock())
            if taken is None:
                self._report(SenderReport(self._last_success, None, None, True if self._last_success else None))
                return Step("idle")
            pending = taken  # its attempt is counted: `next_batch` did in the same transaction

        def alongside() -> PendingBatch | None:
            if answered is not None:  # written back, and the attempt counted, while this batch is in flight
                answered.write(self.store)
                count_attempt(self.store, pending.sealed.batch_id, self.clock())
            return prepare_next(self.store, self.device, pending.sealed.batch_id, self.max_events, now=self.clock())

        sealed = pending.sealed
        self.attempts += 1
        headers = sign_request("POST", BATCHES_PATH, sealed.body, self.device.signer_for(sealed.suite),
                               self.device.device_id, self.clock(), sealed.headers())
        work = asyncio.ensure_future(asyncio.to_thread(alongside))
        try:
            result = await self.transport.post(BATCHES_PATH, sealed.body, headers)
        finally:
            await asyncio.wait([work])  # its transactions end before this batch's outcome is looked at
        following: PendingBatch | None = None
        if not work.cancelled() and work.exception() is not None:
            # Whatever did not commit is found again in the store: an answer not written back leaves its
            # batch open, to be resent and answered again (the platform replays it), before this one.
            log.warning("could not write back or prepare alongside the request: %s", type(work.exception()).__name__)
        elif not work.cancelled():
            following = work.result()
        if isinstance(result, Answer):
            return self._answered(pending, result, following)
        if isinstance(result, Unreachable):
            return self._retry(Problem("platform.unreachable", f"连不上平台（{result.reason}），稍后自动重试",
                                       f"cannot reach the platform ({result.reason}); will retry", None),
                               reachable=False)
        return self._refused(sealed.batch_id, result)

    def flush(self) -> None:
        """Write back an answer still held in memory (the sender stops, or another desk takes over)."""
        held, self._held = self._held, None
        if held is not None:
            held[0].write(self.store)

    def _answered(self, pending: PendingBatch, answer: Answer, following: PendingBatch | None) -> Step:
        batch_id = pending.sealed.batch_id
        try:
            statement = json_text.read(answer.body)
            if isinstance(statement, dict):
                self._follow_receipt_key(statement)
            receipts: list[Receipt] = verify_receipts(statement, self.device.pinned_receipt_key,
                                                      self.device.device_id, batch_id)
        except (UnverifiedAnswer, ValueError, RecursionError) as exc:
            log.warning("batch %s: answer did not verify (%s); keeping the batch", batch_id, exc)
            return self._retry(Problem("answer.unverified", "平台的回执无法验证，稍后重试",
                                       "the platform's answer could not be verified; will retry"), reachable=True)
        if isinstance(statement, dict) and isinstance(statement.get("platform_key"), dict):
            self._learn_key(statement["platform_key"])
        now = self.clock()
        report = SenderReport(now, None, None, True)
        written = _Answered(batch_id, receipts, answer.body, now, report)
        counts = receipt_counts(receipts)
        if following is not None and len({r.event_id for r in receipts}) == pending.event_count:
            # Every event has its receipt: the next batch may go before this answer is written back.
            # (With receipts missing, their events go back to the queue and must go first: written now.)
            self._held = written, following
        else:
            counts = written.write(self.store)
        log.info("batch %s answered: %s", batch_id, " ".join(f"{k}={v}" for k, v in counts.items() if v))
        self.failures = 0
        self._last_success = now
        self._reported = report  # written with the receipts
        return Step("answered", receipts=counts)

    def _refused(self, batch_id: str, refusal: Refusal) -> Step:
        code, status = refusal.problem.code, refusal.status
        log.warning("batch %s refused: %s %s", batch_id, status, code)
        if status in _RETRYABLE_STATUS or status >= 500:
            return self._retry(refusal.problem, reachable=True, retry_after=refusal.retry_after)
        if code in ("seal.key_expired", "seal.unknown_key"):
            announced = refusal.extra.get("platform_key")
            if isinstance(announced, dict):  # signed by the receipt key now: follow a rotation first
                self._follow_receipt_key({"signed_by": announced.get("signed_by"),
                                          "receipt_keys": refusal.extra.get("receipt_keys")})
            if isinstance(announced, dict) and self._learn_key(announced):
                abandon_batch(self.store, batch_id, self.clock())
                return Step("retry", 0.0, problem=refusal.problem)
            return self._retry(refusal.problem, reachable=True, blocked=True)
        if code == "body.too_large":
            abandon_batch(self.store, batch_id, self.clock())
            self.max_events = max(1, self.max_events // 2)
            return Step("retry", 0.0, problem=refusal.problem)
        if code in _RESEAL_CODES:
            abandon_batch(self.store, batch_id, self.clock())
            return self._retry(refusal.problem, reachable=True)
        if code == "signature.replayed":
            return self._retry(refusal.problem, reachable=True)
        if code == "seal.suite_required":
            return self._retry(explain_suite_required(refusal), reachable=True, blocked=True)
        return self._retry(refusal.problem, reachable=True, blocked=True)

    def _retry(self, problem: Problem, *, reachable: bool, retry_after: float | None = None,
               blocked: bool = False) -> Step:
        self.failures += 1
        wait = self.backoff.cap if blocked else self.backoff.delay(self.failures, retry_after)
        self._report(SenderReport(self._last_success, f"{problem.code}: {problem.zh} ({problem.en})",
                                  self.clock() + timedelta(seconds=wait), reachable))
        return Step("blocked" if blocked else "retry", wait, problem=problem)

    def _learn_key(self, announcement: object) -> bool:
        """Adopt a platform key announced in an answer, if it may be (`adopt_announced_key`): signed by
        the pinned receipt key, not expired, newer than the key held. False when refused."""
        device = adopt_announced_key(self.device, announcement, self.clock())
        if device is None:
            return False
        if device is not self.device:
            self.device = device
            save_device(self.store, device)
        return True

    def _follow_receipt_key(self, answer: dict) -> None:  # type: ignore[type-arg]
        """Pin the platform's new receipt key when the answer shows the way to it from the pinned one."""
        device = follow_receipt_key(self.device, answer)
        if device is not self.device:
            self.device = device
            save_device(self.store, device)

    def _report(self, report: SenderReport) -> None:
        # An idle sender reports the same thing every tick: written once, not a commit (an fsync) a tick.
        if report != self._reported:
            save_sender_report(self.store, report)
            self._reported = report


async def send_until_idle(sender: Sender, *, keep_trying: bool, sleep: Callable[[float], object] | None = None) -> Step:
    """Send batches until nothing is pending. Without `keep_trying`, stop at the first failure.

    Returns the last step: `idle` means everything sendable was answered.
    """
    pause = sleep or asyncio.sleep
    while True:
        step = await sender.step()
        if step.kind == "idle":
            return step
        if step.kind in ("retry", "blocked"):
            if not keep_trying or step.kind == "blocked":
                return step
            await pause(step.wait)  # type: ignore[misc]

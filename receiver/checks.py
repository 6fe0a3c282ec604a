"""Protocol checks every signed request passes before its body is opened.

In order: the load gate (503 when too many requests are being processed), the size cap (413), the
signature's device (403 unknown or revoked), the signature itself with its body digest (401), the date
window of +-5 minutes (401), replay (401), and the per-device rate limit (429). Each failure is a
`Refusal` with its own code; 429 and 503 say when to come back (`Retry-After`).

The replay memory and the rate limiter live in this process's memory: the reference server is one
process. Both use the injected clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from protocol.keys import KeyFormatError, load_ed25519_public
from protocol.refusals import Refusal
from protocol.signatures import WINDOW, SignatureRefused, VerifiedRequest, signer_of, verify_request
from receiver.storage import Storage


class ReplayGuard:
    """Signatures seen within the date window; a second use of one is a replay."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()

    def check(self, signature: str, now: datetime) -> None:
        moment = now.timestamp()
        horizon = moment - 2 * WINDOW.total_seconds()  # past it, the date window refuses the request anyway
        while self._seen and next(iter(self._seen.values())) < horizon:
            self._seen.popitem(last=False)
        if signature in self._seen:
            raise Refusal.of("signature.replayed")
        self._seen[signature] = moment


class RateLimiter:
    """A token bucket per device: `rate` requests a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, device_id: str, now: datetime) -> None:
        moment = now.timestamp()
        tokens, last = self._buckets.get(device_id, (float(self.burst), moment))
        tokens = min(float(self.burst), tokens + max(0.0, moment - last) * self.rate)
        if tokens < 1.0:
            self._buckets[device_id] = (tokens, moment)
            raise Refusal.of("rate.limited", retry_after=max(1, math.ceil((1.0 - tokens) / self.rate)))
        self._buckets[device_id] = (tokens - 1.0, moment)


class LoadGate:
    """At most `limit` requests in processing; the next is told to come back (503) rather than queue."""

    def __init__(self, limit: int, retry_after: int) -> None:
        self.limit, self.retry_after = limit, retry_after
        self.in_flight = 0

    @contextmanager
    def enter(self) -> Iterator[None]:
        if self.in_flight >= self.limit:
            raise Refusal.of("platform.overloaded", retry_after=self.retry_after)
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1


async def read_body(request: web.Request, cap: int) -> bytes:
    """The request body, refusing (413) as soon as it is known to be over `cap` bytes."""
    if request.content_length is not None and request.content_length > cap:
        raise Refusal.of("body.too_large")
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > cap:
            raise Refusal.of("body.too_large")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Signed:
    """An authenticated request: the device row and what its signature said."""

    device: Any
    verified: VerifiedRequest


def authenticate(storage: Storage, method: str, path: str, headers: Mapping[str, str], body: bytes,
                 now: datetime, replays: ReplayGuard, limiter: RateLimiter) -> Signed:
    """Who sent this request, once the signature, date window, replay and rate checks pass."""
    try:
        device_id = signer_of(headers)
    except SignatureRefused as refused:
        raise Refusal.of(refused.code) from None
    device = storage.device(device_id) if len(device_id) <= 40 else None
    if device is None:
        raise Refusal.of("device.unknown")
    if device.revoked_at is not None:
        raise Refusal.of("device.revoked")
    try:
        public = load_ed25519_public(device.public_key)
        verified = verify_request(method, path, headers, body, public, now)
    except SignatureRefused as refused:
        raise Refusal.of(refused.code) from None
    except KeyFormatError:
        raise Refusal.of("device.unknown") from None
    replays.check(verified.signature, now)
    limiter.take(device_id, now)
    return Signed(device, verified)

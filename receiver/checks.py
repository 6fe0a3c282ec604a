"""Protocol checks every signed request passes, in the order that makes a bad request cheap to refuse.

Before the body is read (it may never come, or come a byte a second): the client address's share of
the connections (429), the signature's claim - a known, not revoked device (403), a `created` inside
the +-5 minute window, a key id and a nonce (401). Then the body, under a size cap (413) and a deadline
that moves with a minimum rate (408). Then the signature itself with its body digest (401), and, in
one transaction of the platform's database, replay (401) and the per-device rate limit (429). Only
then does a request take one of the platform's load slots (503 when none is free) for the costly
part: opening and checking the batch. Each failure is a `Refusal` with its own code; 429 and 503 say
when to come back (`Retry-After`).

The replay memory and the rate buckets live in the database, so every receiver on it counts together
(`receiver.storage`). The load slots and connection counts are per process: they protect its own
memory and cores. All times come from the injected clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from protocol.keys import CipherSuite, KeyFormatError, load_ed25519_public, load_sm2_public
from protocol.refusals import Refusal
from protocol.signatures import Claim, SignatureRefused, VerifiedRequest, read_claim, verify_request
from receiver.storage import Storage


@dataclass(frozen=True)
class Limits:
    """How much one request may take before it has proven anything."""

    max_per_address: int = 16  # requests from one client address in progress at once
    body_grace: float = 10.0  # seconds a body may take to start
    body_min_rate: float = 16 * 1024  # bytes a second, on average, after the grace


class LoadGate:
    """At most `limit` requests being checked; the next is told to come back (503) rather than queue."""

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


class AddressGate:
    """At most `limit` requests in progress from one client address: one address cannot hold every
    connection the server has, however slowly it sends."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[str, int] = {}

    @contextmanager
    def enter(self, address: str) -> Iterator[None]:
        held = self._held.get(address, 0)
        if held >= self.limit:
            raise Refusal.of("rate.too_many_connections", retry_after=1)
        self._held[address] = held + 1
        try:
            yield
        finally:
            left = self._held[address] - 1
            if left:
                self._held[address] = left
            else:
                del self._held[address]


async def read_body(request: web.Request, cap: int, limits: Limits) -> bytes:
    """The request body, refusing as soon as it is known to be over `cap` bytes (413), or when it comes
    slower than `limits` allow (408): after `body_grace` seconds, `body_min_rate` bytes a second."""
    if request.content_length is not None and request.content_length > cap:
        raise Refusal.of("body.too_large")
    loop = asyncio.get_running_loop()
    started = loop.time()
    chunks, size = [], 0
    while True:
        try:
            async with asyncio.timeout_at(started + limits.body_grace + size / limits.body_min_rate):
                chunk = await request.content.readany()
        except TimeoutError:
            raise Refusal.of("body.too_slow") from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            raise Refusal.of("body.too_large")
        chunks.append(chunk)


@dataclass(frozen=True)
class Claimed:
    """A request whose signature headers could be good: the device row and what the signature claims."""

    device: Any
    claim: Claim


def check_claim(storage: Storage, headers: Mapping[str, str], now: datetime) -> Claimed:
    """The device a request claims to come from, before its body is read: refused if the claim cannot
    be good (no or unreadable signature, stale `created`, no nonce, unknown or revoked device)."""
    try:
        claim = read_claim(headers, now)
    except SignatureRefused as refused:
        raise Refusal.of(refused.code) from None
    device = storage.device(claim.key_id) if len(claim.key_id) <= 40 else None
    if device is None:
        raise Refusal.of("device.unknown")
    if device.revoked_at is not None:
        raise Refusal.of("device.revoked")
    return Claimed(device, claim)


def verify(claimed: Claimed, method: str, path: str, headers: Mapping[str, str], body: bytes,
           now: datetime, suite: CipherSuite | None = None) -> VerifiedRequest:
    """The signature over the request as received, with its body digest and date window. A request in
    the national suite must be signed with the device's SM2 key (`sm2-sm3`, SM3 digest), any other with
    its Ed25519 key: the suite (a signed header) decides, never the signature's own `alg`."""
    try:
        if suite is CipherSuite.GM:
            if not claimed.device.sm2_public_key:
                raise SignatureRefused("signature.invalid", "the device enrolled without an SM2 key")
            public = load_sm2_public(claimed.device.sm2_public_key)
        else:
            public = load_ed25519_public(claimed.device.public_key)
        verified = verify_request(method, path, headers, body, public, now)
    except SignatureRefused as refused:
        raise Refusal.of(refused.code) from None
    except KeyFormatError:
        raise Refusal.of("device.unknown") from None
    if verified.device_id != claimed.device.device_id:
        raise Refusal.of("signature.invalid")
    return verified


def remember(storage: Storage, verified: VerifiedRequest, now: datetime, rate: float, burst: int) -> None:
    """Refuse a replay (the same key id and nonce seen before), then take the device's rate token: one
    transaction of the platform's database, so every receiver on it refuses the same replay and counts
    the same requests. A refused request leaves no trace (its nonce is not kept, no token is taken)."""
    with storage.write_brief() as conn:
        if not storage.use_nonce(conn, verified.device_id, verified.nonce, verified.created):
            raise Refusal.of("signature.replayed")
        wait = storage.take_token(conn, f"device:{verified.device_id}", now.timestamp(), rate, burst)
        if wait:
            raise Refusal.of("rate.limited", retry_after=max(1, math.ceil(wait)))


def take_token(storage: Storage, subject: str, now: datetime, rate: float, burst: int) -> None:
    """One token of `subject`'s bucket (shared in the database), or `rate.limited` with Retry-After."""
    with storage.write_brief() as conn:
        wait = storage.take_token(conn, subject, now.timestamp(), rate, burst)
    if wait:
        raise Refusal.of("rate.limited", retry_after=max(1, math.ceil(wait)))

"""The platform's routes (aiohttp): enrollment, batches, permit checks, health, the OpenAPI document.

Handlers stay thin: protocol checks are in `receiver.checks`, the write path in `receiver.ingest`,
enrollment in `receiver.enrollment`. Database work runs in a thread (one writer thread for SQLite,
so that this process's writes never wait on each other's locks), keeping the event loop free to read
requests; with checker processes (`Settings.workers`), a batch checked whole is recorded by its checker.

Every refusal is JSON with a code (see `protocol.refusals`); an unexpected failure is logged with the
route only - never a body or a header value, which may hold personal data - and answered 500.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from aiohttp import web

from agent.validation.arrival_rules import NO_VENUE, VenueRules
from protocol.keys import SUITE_PREFERENCE, CipherSuite
from protocol.messages import PROTOCOL, MalformedMessage, parse_json_object
from protocol.permits import parse_permit_query
from protocol.receipts import permit_answer_statement, sign_statement
from protocol.refusals import Refusal
from protocol.sealing import PERMIT_CHECK, CannotOpen, open_sealed
from protocol.signatures import WINDOW
from receiver.checkers import checker_pool
from receiver.checks import (
    AddressGate,
    Claimed,
    Limits,
    LoadGate,
    check_claim,
    read_body,
    remember,
    take_token,
    verify,
)
from receiver.content import venue_rules
from receiver.enrollment import enroll
from receiver.faults import BadFaultPlan, FaultPlan, Faults
from receiver.ingest import join_parts, open_and_record, open_batch, record_batch
from receiver.keyring import DEFAULT_OVERLAP, KeyRing, erase_expired, renew_announcement
from receiver.openapi import openapi_document
from receiver.permits import permit_status
from receiver.storage import Storage, iso

log = logging.getLogger("dengji.receiver")
T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Settings:
    """Limits of one receiver; the defaults suit a city's platform on modest hardware."""

    max_body: int = 8 * 1024 * 1024  # sealed bytes of one request
    max_plaintext: int = 64 * 1024 * 1024  # after decompression
    max_small_body: int = 64 * 1024  # enrollment and permit checks
    rate: float = 10.0  # requests per second per device, on average
    burst: int = 60
    max_in_flight: int = 16  # requests being checked (body read, signature verified) before new ones get 503
    limits: Limits = Limits()  # what one request may take before it has proven anything
    idle_timeout: float = 30.0  # seconds a connection may stay without a whole request (headers included)
    workers: int = 0  # processes that check and record batches; 0: threads of this process (`serve`: one per core)
    overloaded_retry_after: int = 2
    key_overlap: timedelta = DEFAULT_OVERLAP
    required_suite: CipherSuite | None = None  # `serve --require-suite`: every other suite is refused
    enroll_rate: float = 0.1  # enrollment attempts per second per client address, on average (one in 10 s)
    enroll_burst: int = 10
    answer_window: timedelta = timedelta(days=30)  # how long the same batch id replays its answer


@dataclass
class Platform:
    """Everything the handlers share."""

    storage: Storage
    keys: KeyRing
    settings: Settings
    clock: Clock
    faults: Faults | None
    gate: LoadGate = field(init=False)
    addresses: AddressGate = field(init=False)
    executor: ThreadPoolExecutor = field(init=False)
    checkers: Executor = field(init=False)
    checking: int = 0  # batches being opened and checked now

    def __post_init__(self) -> None:
        self.gate = LoadGate(self.settings.max_in_flight, self.settings.overloaded_retry_after)
        self.addresses = AddressGate(self.settings.limits.max_per_address)
        self.executor = ThreadPoolExecutor(max_workers=1 if self.storage.is_sqlite else 4,
                                           thread_name_prefix="receiver-db")
        self.checkers = self._new_checkers()

    def _new_checkers(self) -> Executor:
        """Opening and checking is CPU work (the validators): in processes it uses every core."""
        if self.settings.workers > 0:
            return checker_pool(self.settings.workers, self.storage.url)
        return ThreadPoolExecutor(2, thread_name_prefix="receiver-check")

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Database work, in the database thread(s)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(work, *args))

    async def check(self, work: Callable[..., T], *args: Any) -> T:
        """CPU work without the database, in the checker processes (or threads)."""
        checkers = self.checkers
        try:
            return await asyncio.get_running_loop().run_in_executor(checkers, functools.partial(work, *args))
        except BrokenProcessPool:  # a worker died (killed, out of memory): start new ones, ask to retry
            if self.checkers is checkers:  # the first of a batch's parts to fail replaces the pool
                log.error("a checker process died; starting new ones")
                checkers.shutdown(wait=False)
                self.checkers = self._new_checkers()
            raise Refusal.of("platform.overloaded", retry_after=self.settings.overloaded_retry_after) from None

    async def authenticate(self, request: web.Request, claimed: Claimed, body: bytes, suite: CipherSuite) -> None:
        """The signature over the request as received (with the device's key for `suite`); then, shared
        with every receiver on the database, the replay check and the device's rate limit."""
        verified = verify(claimed, request.method, request.raw_path, request.headers, body, self.clock(), suite)
        await self.run(remember, self.storage, verified, self.clock(), self.settings.rate, self.settings.burst)

    async def forget_old_nonces(self) -> None:
        """Forget signatures whose `created` is past the window: they are refused as stale anyway."""
        await self.run(self.storage.forget_nonces, int((self.clock() - WINDOW).timestamp()) - 1)

    async def housekeep(self) -> None:
        """Forget answers past the idempotency window and idle rate buckets, erase private keys past their
        overlap window, renew the key announcement, pick up keys changed by an admin command."""
        now = self.clock()
        await self.run(self.storage.purge_answers, iso(now - self.settings.answer_window))
        # A bucket refills in burst / rate seconds (a minute or two): after a day it is full for any setting.
        await self.run(self.storage.forget_buckets, (now - timedelta(days=1)).timestamp())
        await self.run(erase_expired, self.storage, now, self.settings.key_overlap)
        await self.run(renew_announcement, self.storage, now)
        await self.run(self.keys.reload)

    @property
    def suites(self) -> tuple[CipherSuite, ...]:
        """The suites this platform accepts, best first."""
        required = self.settings.required_suite
        return (required,) if required is not None else SUITE_PREFERENCE

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True)
        self.checkers.shutdown(wait=True)


PLATFORM = web.AppKey("platform", Platform)
_dumps = functools.partial(json.dumps, ensure_ascii=False)


def answer(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(value, status=status, headers=headers, dumps=_dumps)


def with_announcement(platform: Platform, signed_answer: bytes, suite: CipherSuite) -> web.Response:
    """A signed answer (a JSON object) with the current platform key announcement as a request in `suite`
    gets it (and the receipt key statements, after a rotation) added to it."""
    body = b"{" + platform.keys.extra_json_for(suite) + b", " + signed_answer[1:]
    return web.Response(body=body, content_type="application/json", charset="utf-8")


def refusal_response(refusal: Refusal) -> web.Response:
    return web.Response(body=refusal.body(), status=refusal.status, headers=refusal.headers(),
                        content_type="application/json", charset="utf-8")


_HTTP_CODES = {404: "route.not_found", 405: "route.method_not_allowed", 413: "body.too_large"}


@web.middleware
async def answer_refusals(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
    try:
        return await handler(request)
    except Refusal as refusal:
        response = refusal_response(refusal)
        if refusal.status == 408:  # the rest of a slow body is not waited for: the connection closes
            response.force_close()
        return response
    except web.HTTPException as exc:
        if exc.status in _HTTP_CODES:
            return refusal_response(Refusal.of(_HTTP_CODES[exc.status]))
        if exc.status < 400:
            raise
        return refusal_response(Refusal.of("body.malformed", status=exc.status))
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        log.exception("unexpected failure answering %s %s", request.method, request.path)
        return refusal_response(Refusal.of("platform.error"))


@web.middleware
async def limit_per_address(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                            ) -> web.StreamResponse:
    """At most `Limits.max_per_address` requests in progress from one client address."""
    with request.app[PLATFORM].addresses.enter(request.remote or ""):
        return await handler(request)


FAULTY_ROUTES = ("/v1/batches", "/v1/permit-checks", "/v1/enroll")


@web.middleware
async def inject_faults(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                        ) -> web.StreamResponse:
    faults = request.app[PLATFORM].faults
    if faults is None or request.path not in FAULTY_ROUTES:
        return await handler(request)
    refusal = faults.before()
    if refusal is not None:
        raise refusal
    response = await handler(request)
    delay = faults.delay()
    if delay:
        await asyncio.sleep(delay)  # the fault itself: a slow platform, not a synchronisation
    if faults.drop() and isinstance(response, web.Response) and response.body:
        return await _cut_off(request, response)
    return response


async def _cut_off(request: web.Request, response: web.Response) -> web.StreamResponse:
    """Send the status, headers and half the body, then close the connection: an answer lost in transit."""
    body = bytes(response.body)  # type: ignore[arg-type]
    stream = web.StreamResponse(status=response.status, headers={"Content-Type": response.content_type})
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return stream


# --- routes -------------------------------------------------------------------------------------------

async def health(request: web.Request) -> web.Response:
    platform = request.app[PLATFORM]
    return answer({"status": "ok", "protocol": PROTOCOL, "time": iso(platform.clock()),
                   "suites": [suite.value for suite in platform.suites],
                   "platform_key_id": platform.keys.current_key_id})


async def openapi(request: web.Request) -> web.Response:
    return answer(openapi_document())


async def platform_key(request: web.Request) -> web.Response:
    """The platform's public key statement: the current key's announcement, the receipt key (both halves)
    and the suites accepted. An agent checks the fingerprint the police station handed over against it
    before it sends its one-time code, so that a mistyped fingerprint does not spend the code."""
    platform = request.app[PLATFORM]
    gm_only = platform.suites == (CipherSuite.GM,)
    return answer({**platform.keys.extra_for(CipherSuite.GM if gm_only else None),
                   "receipt_key_id": platform.keys.receipt_key.key_id,
                   "receipt_key": platform.keys.receipt_public(),
                   "suites": [suite.value for suite in platform.suites]})


async def post_enroll(request: web.Request) -> web.Response:
    """Enrollment is the one unsigned request: codes are guessed at most `enroll_rate` times a second per
    client address, counted in the database so that every receiver of the platform counts together."""
    platform = request.app[PLATFORM]
    settings = platform.settings
    await platform.run(take_token, platform.storage, f"enroll:{request.remote or ''}", platform.clock(),
                       settings.enroll_rate, settings.enroll_burst)
    body = await read_body(request, settings.max_small_body, settings.limits)
    try:
        value = parse_json_object(body, "body.malformed")
    except MalformedMessage as exc:
        raise Refusal.of(exc.code) from None
    return answer(await platform.run(enroll, platform.storage, platform.keys, value, platform.clock(),
                                     platform.suites))


def _sealing_headers(request: web.Request) -> tuple[str, CipherSuite]:
    key_id = request.headers.get("Dengji-Key-Id")
    suite = request.headers.get("Dengji-Suite", "")
    if not key_id:
        gm = CipherSuite.GM if suite == CipherSuite.GM.value else None
        raise Refusal.of("seal.unknown_key", extra=request.app[PLATFORM].keys.extra_for(gm))
    if suite not in CipherSuite._value2member_map_:
        raise Refusal.of("seal.unsupported_suite")
    required = request.app[PLATFORM].settings.required_suite
    if required is not None and suite != required.value:
        raise Refusal.of("seal.suite_required", extra={"required_suite": required.value})
    return key_id, CipherSuite(suite)


def _open(platform: Platform, key_id: str, suite: CipherSuite, body: bytes, purpose: str, device_id: str,
          now: datetime) -> bytes:
    secret = platform.keys.secret_for(key_id, now, suite)
    try:
        return open_sealed(body, secret, suite, purpose, device_id, platform.settings.max_plaintext)
    except CannotOpen as exc:
        raise Refusal.of(exc.code) from None


async def _process_batch(platform: Platform, device_id: str, batch_id: str, key_id: str, suite: CipherSuite,
                         body: bytes, now: datetime, venue: VenueRules = NO_VENUE) -> bytes:
    secret = platform.keys.secret_for(key_id, now, suite)
    max_plaintext = platform.settings.max_plaintext
    # A batch is shared between the checker processes when no other batch is being checked: an uploader
    # sends one batch at a time, and one process checking it would leave the other cores idle. Each
    # opens the whole body and checks its slice of the events; this process joins the slices and
    # records them. When batches overlap, each goes whole to one process, which also records it: the
    # cores are busy anyway, every body is opened and parsed once, and the events need not come back.
    workers = platform.settings.workers
    parts = workers if platform.checking == 0 else 1
    platform.checking += 1
    try:
        if parts > 1:
            opened = join_parts(list(await asyncio.gather(*(
                platform.check(open_batch, secret, suite, body, device_id, batch_id, now, max_plaintext, part,
                               parts, venue) for part in range(parts)))))
        elif workers > 0:
            opened = await platform.check(open_and_record, secret, suite, body, device_id, batch_id, now,
                                          max_plaintext, platform.keys.receipt_key.key_id, venue)
        else:
            opened = await platform.check(open_batch, secret, suite, body, device_id, batch_id, now, max_plaintext,
                                          0, 1, venue)
    finally:
        platform.checking -= 1
    if isinstance(opened, str):
        raise Refusal.of(opened)
    if isinstance(opened, bytes):  # recorded by the checker process
        return opened
    return await platform.run(record_batch, platform.storage, platform.keys.receipt_key, device_id, opened, now,
                              suite.signature_algorithm)


async def post_batches(request: web.Request) -> web.Response:
    platform = request.app[PLATFORM]
    claimed = check_claim(platform.storage, request.headers, platform.clock())
    batch_id = request.headers.get("Idempotency-Key", "")
    if not batch_id or len(batch_id) > 64:
        raise Refusal.of("batch.no_idempotency_key")
    key_id, suite = _sealing_headers(request)
    body = await read_body(request, platform.settings.max_body, platform.settings.limits)
    await platform.authenticate(request, claimed, body, suite)
    with platform.gate.enter():
        signed_answer = await _process_batch(platform, claimed.device.device_id, batch_id, key_id, suite, body,
                                             platform.clock(), venue_rules(claimed.device.venue))
    return with_announcement(platform, signed_answer, suite)


def _check_permit(platform: Platform, device_id: str, key_id: str, suite: CipherSuite, body: bytes,
                  now: datetime) -> dict[str, Any]:
    plaintext = _open(platform, key_id, suite, body, PERMIT_CHECK, device_id, now)
    try:
        query = parse_permit_query(plaintext)
    except MalformedMessage as exc:
        raise Refusal.of(exc.code) from None
    status, valid_until = permit_status(platform.storage, query["permit_number"], query["document_number"], now)
    return sign_statement(permit_answer_statement(device_id, query["query_id"], status, valid_until, iso(now)),
                          platform.keys.receipt_key, suite.signature_algorithm)


async def post_permit_checks(request: web.Request) -> web.Response:
    platform = request.app[PLATFORM]
    claimed = check_claim(platform.storage, request.headers, platform.clock())
    key_id, suite = _sealing_headers(request)
    body = await read_body(request, platform.settings.max_small_body, platform.settings.limits)
    await platform.authenticate(request, claimed, body, suite)
    with platform.gate.enter():
        signed_answer = await platform.run(_check_permit, platform, claimed.device.device_id, key_id, suite, body,
                                           platform.clock())
    return answer({**signed_answer, **platform.keys.extra_for(suite)})


async def put_faults(request: web.Request) -> web.Response:
    faults = request.app[PLATFORM].faults
    assert faults is not None  # the route exists only with --faults
    body = await read_body(request, 4096, request.app[PLATFORM].settings.limits)
    try:
        plan = FaultPlan.from_dict(parse_json_object(body, "body.malformed"))
    except (MalformedMessage, BadFaultPlan):
        raise Refusal.of("body.malformed") from None
    faults.replace(plan)
    return answer({"faults": plan.as_dict()})


async def _every(seconds: float, what: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` now and then every `seconds`, for the life of the server; a failure is logged, not fatal."""
    while True:
        try:
            await work()
        except Exception:  # housekeeping must outlive a database hiccup: logged, tried again next round
            log.exception("housekeeping (%s) failed", what)
        await asyncio.sleep(seconds)


async def _housekeeping(app: web.Application) -> Any:
    """Every minute: forget signatures past the date window. Hourly: `Platform.housekeep`."""
    platform = app[PLATFORM]
    tasks = [asyncio.create_task(_every(60, "replay memory", platform.forget_old_nonces)),
             asyncio.create_task(_every(3600, "answers and keys", platform.housekeep))]
    yield
    for task in tasks:
        task.cancel()
    platform.shutdown()


def create_app(storage: Storage, settings: Settings | None = None, clock: Clock = utc_now,
               faults: FaultPlan | None = None) -> web.Application:
    """The receiver as an aiohttp application; `storage` must already hold its keys (`ensure_keys`)."""
    settings = settings or Settings()
    accepted = (settings.required_suite,) if settings.required_suite is not None else None
    platform = Platform(storage, KeyRing(storage, settings.key_overlap, accepted), settings, clock,
                        Faults(faults) if faults is not None else None)
    # A connection without a whole request after `idle_timeout` is closed (aiohttp's keep-alive timer runs
    # from the connection's start); the unread rest of a refused body is drained for 2 s at most.
    app = web.Application(middlewares=[answer_refusals, limit_per_address, inject_faults],
                          client_max_size=settings.max_body + 1,
                          handler_args={"keepalive_timeout": settings.idle_timeout, "lingering_time": 2.0})
    app[PLATFORM] = platform
    app.router.add_get("/v1/health", health)
    app.router.add_get("/v1/openapi.json", openapi)
    app.router.add_get("/v1/platform-key", platform_key)
    app.router.add_post("/v1/enroll", post_enroll)
    app.router.add_post("/v1/batches", post_batches)
    app.router.add_post("/v1/permit-checks", post_permit_checks)
    if faults is not None:
        app.router.add_put("/v1/test/faults", put_faults)
    app.cleanup_ctx.append(_housekeeping)
    return app

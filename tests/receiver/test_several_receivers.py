"""Several receivers on one database behave as one platform: two `dengji-receiver serve` processes on
one PostgreSQL database, behind a round-robin proxy on 127.0.0.1 (written here with aiohttp), refuse a
replay sent to the other instance, count rate limits and enrollment attempts once, and record each
event once. (Skipped without `DENGJI_TEST_POSTGRES_URL`.)"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from aiohttp import web

from agent.domain import CHINA_TIME, EventType
from protocol.enrollment import ENROLL_PATH, enroll_request, read_enrollment
from protocol.keys import generate_device_key
from protocol.messages import Batch, Enrollment, new_event
from protocol.receipts import verify_receipts
from protocol.sealing import SealedBatch, seal_batch
from protocol.signatures import sign_request
from receiver.storage import Storage

SCRIPT = Path(sys.executable).parent / "dengji-receiver"
HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


async def start_server(db: str) -> tuple[asyncio.subprocess.Process, str]:
    server = await asyncio.create_subprocess_exec(
        str(SCRIPT), "serve", "--port", "0", "--db", db, "--workers", "1", "--rate", "0.001", "--burst", "6",
        "--enroll-rate", "0.001", "--enroll-burst", "5", stdout=asyncio.subprocess.PIPE)
    assert server.stdout is not None
    line = (await asyncio.wait_for(server.stdout.readline(), 60)).decode()
    assert "listening on http://127.0.0.1:" in line, line
    return server, line.split("listening on ")[1].split()[0]


@contextlib.asynccontextmanager
async def round_robin(backends: list[str]) -> AsyncIterator[tuple[str, list[str]]]:
    """A proxy on 127.0.0.1 sending each request to the next backend; yields its URL and the backends
    each request went to, in order."""
    turns = itertools.cycle(backends)
    went: list[str] = []
    async with aiohttp.ClientSession() as client:

        async def forward(request: web.Request) -> web.Response:
            backend = next(turns)
            went.append(backend)
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            async with client.request(request.method, backend + request.path_qs, headers=headers,
                                      data=await request.read(), allow_redirects=False) as answer:
                passed = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "retry-after")}
                return web.Response(status=answer.status, body=await answer.read(), headers=passed)

        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}", went
        finally:
            await runner.cleanup()


class Venue:
    """A device speaking to the platform through the proxy."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.key = generate_device_key()
        self.enrollment: Enrollment | None = None

    async def enroll(self, code: str) -> tuple[int, object]:
        async with self.session.post(self.url + ENROLL_PATH, json=enroll_request(
                code, {"kind": "hotel", "name": "测试旅馆"}, self.key)) as resp:
            body = await resp.json()
        if resp.status == 200:
            self.enrollment = read_enrollment(body)
        return resp.status, body

    def seal(self, day: str) -> SealedBatch:
        assert self.enrollment is not None
        event = new_event(EventType.NO_ARRIVALS, {"date": day}, datetime(2025, 3, 1, tzinfo=CHINA_TIME))
        return seal_batch(Batch(self.enrollment.device_id, str(uuid.uuid4()), (event,)), self.enrollment.platform_key)

    def sign(self, sealed: SealedBatch) -> dict[str, str]:
        assert self.enrollment is not None
        return sign_request("POST", "/v1/batches", sealed.body, self.key, self.enrollment.device_id,
                            datetime.now(timezone.utc), sealed.headers())

    async def post(self, sealed: SealedBatch, headers: dict[str, str]) -> tuple[int, dict]:  # type: ignore[type-arg]
        async with self.session.post(self.url + "/v1/batches", data=sealed.body, headers=headers) as resp:
            return resp.status, json.loads(await resp.read())


async def test_two_receivers_on_one_database_behave_as_one(postgres_url: str) -> None:
    storage = Storage(postgres_url)  # made and keyed once, as an operator does before starting servers
    from receiver.keyring import ensure_keys

    ensure_keys(storage, datetime.now(timezone.utc))
    storage.close()
    codes = [_issue(postgres_url) for _ in range(3)]
    servers = [await start_server(postgres_url) for _ in range(2)]
    try:
        async with round_robin([url for _, url in servers]) as (proxy, went), aiohttp.ClientSession() as session:
            first, second, third = (Venue(session, proxy) for _ in range(3))
            for venue, code in zip((first, second, third), codes):
                assert (await venue.enroll(code))[0] == 200

            # A replay sent to the other instance is refused.
            sealed = first.seal("2025-02-01")
            headers = first.sign(sealed)
            status, answer = await first.post(sealed, headers)
            assert status == 200
            status, replayed = await first.post(sealed, headers)
            assert went[-1] != went[-2]
            assert (status, replayed["error"]["code"]) == (401, "signature.replayed")

            # Each event recorded once: the same batch sent at once to both instances, signed anew each time.
            again = await asyncio.gather(*(first.post(sealed, first.sign(sealed)) for _ in range(4)))
            assert [status for status, _ in again] == [200] * 4  # the device's burst is 6: 5 used by now
            assert all(body["statement"] == answer["statement"] for _, body in again)
            assert [r.status.value for r in verify_receipts(answer, first.enrollment.receipt_public_key)] == \
                ["accepted"]

            # The rate limit is counted once: 6 requests in a burst across both instances, not 6 each.
            statuses = [(await second.post(batch, second.sign(batch)))[0]
                        for batch in (second.seal(f"2025-02-{day:02}") for day in range(1, 8))]
            assert statuses == [200] * 6 + [429]

            # Enrollment attempts are counted once: 5 in a burst from this address, 3 used above.
            attempts = [(await Venue(session, proxy).enroll("0000-0000-0000-0000"))[0] for _ in range(3)]
            assert attempts == [403, 403, 429]
            assert len(set(went)) == 2
        storage = Storage(postgres_url)
        assert storage.count_events() == 1 + 6
        storage.close()
    finally:
        for server, _ in servers:
            server.send_signal(signal.SIGTERM)
        for server, _ in servers:
            assert await asyncio.wait_for(server.wait(), 60) == 0


def _issue(db: str) -> str:
    from receiver.enrollment import issue_code

    storage = Storage(db)
    try:
        return issue_code(storage, "测试旅馆", None, datetime.now(timezone.utc))
    finally:
        storage.close()

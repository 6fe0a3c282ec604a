"""A real receiver on 127.0.0.1 for each test, on SQLite (and on PostgreSQL when a URL is given).

`DENGJI_TEST_POSTGRES_URL` (e.g. `postgresql://dengji:dengji@127.0.0.1:5432/dengji_test`) makes every
receiver test run a second time against PostgreSQL, each test in a schema of its own (`postgres_url`
in tests/conftest.py). The devices here speak to the server only through `protocol`'s client
functions, over real HTTP.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from agent.domain import CHINA_TIME, EventType, VenueKind
from protocol.enrollment import ENROLL_PATH, enroll_request, read_enrollment
from protocol.gm import SoftwareSm2Key
from protocol.keys import SUITE_PREFERENCE, CipherSuite, generate_device_key
from protocol.messages import Batch, Enrollment, Event, new_event
from protocol.receipts import PinnedKey
from protocol.sealing import SealedBatch, seal_batch
from protocol.signatures import sign_request
from receiver.app import Settings, create_app
from receiver.enrollment import issue_code
from receiver.faults import FaultPlan
from receiver.keyring import ensure_keys
from receiver.storage import Storage
from tests.moving_clock import Clock

START = datetime(2025, 3, 1, 10, 0, tzinfo=CHINA_TIME)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'receiver.db'}"
        return
    yield request.getfixturevalue("postgres_url")  # tests/conftest.py: a schema of its own, or a skip


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@dataclass
class Device:
    """An enrolled venue device: its key, its id and what it learnt at enrollment."""

    key: Any
    enrollment: Enrollment
    supported: tuple[CipherSuite, ...] = SUITE_PREFERENCE
    sm2_key: Any = None  # an `Sm2Key`: signs requests in the national suite

    @property
    def receipt_key(self) -> PinnedKey:
        """The receipt key as pinned at enrollment, both halves."""
        return PinnedKey(self.enrollment.receipt_public_key, self.enrollment.receipt_sm2_public_key)

    @property
    def device_id(self) -> str:
        return self.enrollment.device_id


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None


@dataclass
class Receiver:
    """A running receiver and a client session to it."""

    base_url: str
    storage: Storage
    app: web.Application
    session: aiohttp.ClientSession
    clock: Clock
    devices: list[Device] = field(default_factory=list)

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
                      ) -> Reply:
        async with self.session.request(method, self.base_url + path, data=body, headers=headers or {}) as resp:
            return Reply(resp.status, resp.headers, await resp.read())

    async def enroll(self, kind: VenueKind = VenueKind.HOTEL, venue: dict[str, Any] | None = None,
                     supported: tuple[CipherSuite, ...] = SUITE_PREFERENCE, sm2_key: Any = None) -> Device:
        code = issue_code(self.storage, "测试旅馆", kind, self.clock())
        key = generate_device_key()
        sm2_key = sm2_key or SoftwareSm2Key.generate()
        body = enroll_request(code, venue or {"kind": kind.value, "name": "测试旅馆"}, key, supported, sm2_key)
        reply = await self.request("POST", ENROLL_PATH, json.dumps(body).encode(),
                                   {"Content-Type": "application/json"})
        assert reply.status == 200, reply.body
        device = Device(key, read_enrollment(reply.json()), supported, sm2_key)
        self.devices.append(device)
        return device

    def seal(self, device: Device, events: list[Event], batch_id: str | None = None,
             dry_run: bool = False) -> SealedBatch:
        batch = Batch(device.device_id, batch_id or str(uuid.uuid4()), tuple(events), dry_run)
        return seal_batch(batch, device.enrollment.platform_key, device.supported)

    def signed_headers(self, device: Device, sealed: SealedBatch, path: str = "/v1/batches") -> dict[str, str]:
        key = device.sm2_key if sealed.suite is CipherSuite.GM else device.key
        return sign_request("POST", path, sealed.body, key, device.device_id, self.clock(), sealed.headers())

    async def send(self, device: Device, sealed: SealedBatch) -> Reply:
        return await self.request("POST", "/v1/batches", sealed.body, self.signed_headers(device, sealed))

    async def report(self, device: Device, events: list[Event], **kw: Any) -> Reply:
        return await self.send(device, self.seal(device, events, **kw))


@pytest.fixture
async def start_receiver(db_url: str, clock: Clock) -> AsyncIterator[Any]:
    """Start a receiver (settings and faults optional); everything stops when the test ends."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(settings: Settings | None = None, faults: FaultPlan | None = None) -> Receiver:
            storage = Storage(db_url)
            stack.callback(storage.close)
            ensure_keys(storage, clock())
            app = create_app(storage, settings, clock, faults)
            runner = web.AppRunner(app)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            session = await stack.enter_async_context(aiohttp.ClientSession())
            return Receiver(f"http://127.0.0.1:{port}", storage, app, session, clock)

        yield start


@pytest.fixture
async def receiver(start_receiver: Any) -> Receiver:
    return await start_receiver()


def registration_data(registration_id: str = "R1", arrived_at: str = "2025-03-01T09:30:00+08:00",
                      doc_number: str = "11010519491231002X", **extra: Any) -> dict[str, Any]:
    """A valid stay registration (the ID number is GB 11643's published example)."""
    return {"registration_id": registration_id, "kind": "stay", "unit": "302", "arrived_at": arrived_at,
            "person": {"doc_type": "resident_id", "doc_number": doc_number, "name": "张三"}, **extra}


@pytest.fixture
def events() -> Any:
    """Builders of well-formed events at the test clock's start."""

    class Builders:
        @staticmethod
        def registration(registration_id: str = "R1", **extra: Any) -> Event:
            return new_event(EventType.REGISTERED, registration_data(registration_id, **extra), START)

        @staticmethod
        def departure(registration_id: str = "R1", departed_at: str = "2025-03-01T09:50:00+08:00") -> Event:
            return new_event(EventType.DEPARTED, {"registration_id": registration_id, "departed_at": departed_at},
                             START)

        @staticmethod
        def no_arrivals(day: str = "2025-02-28") -> Event:
            return new_event(EventType.NO_ARRIVALS, {"date": day}, START)

    return Builders()

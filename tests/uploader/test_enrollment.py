"""Enrollment checks the platform before trusting it: its address (https, or http to this machine only,
before any network I/O) and, when the police station handed one over, its key fingerprint. A real
`dengji-receiver serve` on 127.0.0.1 and the agent's own store."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from agent.domain.errors import NotEnrolled
from protocol.keys import key_fingerprint
from tests.uploader.listener import listener
from tests.uploader.processes import Receiver
from uploader.device import Device, load_device
from uploader.enrollment import enroll


def issue(receiver: Receiver) -> tuple[str, str]:
    """A code and the fingerprint printed beside it, as `dengji-receiver issue-code` shows them."""
    out = receiver.admin("issue-code", "--venue", "测试宾馆", "--kind", "hotel")
    fingerprint = next(line.split()[-1] for line in out.splitlines() if "fingerprint" in line)
    return out.split()[-1], fingerprint


async def test_the_fingerprint_the_station_hands_over_lets_the_agent_enroll(hotel_registry, receiver) -> None:
    code, fingerprint = issue(receiver)
    store = hotel_registry.store
    device = await enroll(store, hotel_registry.venue(), code, receiver.url,
                          expected_fingerprint=fingerprint.lower().replace("-", " "))  # typed loosely
    assert isinstance(device, Device)
    assert key_fingerprint(device.receipt_public_key) == fingerprint
    assert load_device(store).device_id == device.device_id


async def test_a_platform_with_another_fingerprint_is_refused_and_nothing_is_kept(hotel_registry, receiver) -> None:
    code, fingerprint = issue(receiver)
    other = "0000-0000-0000-0000" if fingerprint != "0000-0000-0000-0000" else "1111-1111-1111-1111"
    result = await enroll(hotel_registry.store, hotel_registry.venue(), code, receiver.url,
                          expected_fingerprint=other)
    assert not isinstance(result, Device)
    assert result.code == "enroll.fingerprint_mismatch" and fingerprint not in result.en + result.zh
    assert "the code is still good" in result.en and "注册码仍可使用" in result.zh
    with pytest.raises(NotEnrolled):
        load_device(hotel_registry.store)
    device = await enroll(hotel_registry.store, hotel_registry.venue(), code, receiver.url,
                          expected_fingerprint=fingerprint)  # checked before the code was sent: still good
    assert isinstance(device, Device)


async def test_a_platform_that_shows_one_key_and_enrolls_with_another_is_refused(hotel_registry, receiver,
                                                                                tmp_path) -> None:
    """The check before the code is not the only one: an address that publishes the station's platform's
    key statement but answers the enrollment from another platform (a relay in the middle) is refused on
    the key the answer brings, which is the key that would be pinned."""
    _, fingerprint = issue(receiver)
    other = Receiver(f"sqlite:///{tmp_path / 'other.sqlite3'}").start()
    try:
        code, other_fingerprint = issue(other)
        assert other_fingerprint != fingerprint
        async with relay({"GET": receiver.url, "POST": other.url}) as url:
            result = await enroll(hotel_registry.store, hotel_registry.venue(), code, url,
                                  expected_fingerprint=fingerprint)
    finally:
        other.stop()
    assert not isinstance(result, Device) and result.code == "enroll.fingerprint_mismatch"
    assert "still good" not in result.en  # this code was spent: the other platform took it
    with pytest.raises(NotEnrolled):
        load_device(hotel_registry.store)


@contextlib.asynccontextmanager
async def relay(upstream: dict[str, str]) -> AsyncIterator[str]:
    """An HTTP server on 127.0.0.1 that passes each request on to the platform named for its method."""
    async def forward(request: web.Request) -> web.Response:
        async with aiohttp.ClientSession() as session, session.request(
                request.method, upstream[request.method] + request.path, data=await request.read(),
                headers={"Content-Type": request.content_type}) as answer:
            return web.Response(status=answer.status, body=await answer.read(),
                                content_type=answer.content_type)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("url", ["http://localhost@127.0.0.1:{port}",  # the host is 127.0.0.1, by a trick
                                 "http://0.0.0.0:{port}",  # this machine, but not a name the rule allows
                                 "http://127.0.0.1:{port}#@localhost"])
async def test_an_address_the_rule_refuses_is_never_contacted(hotel_registry, url: str) -> None:
    async with listener() as (port, received):
        result = await enroll(hotel_registry.store, hotel_registry.venue(), "AAAA-BBBB-CCCC-DDDD",
                              url.format(port=port))
    assert not isinstance(result, Device)
    assert result.code in ("platform_url.invalid", "platform_url.not_https")
    assert received == []

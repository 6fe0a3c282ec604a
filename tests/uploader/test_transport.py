"""The platform client follows no redirect: a 3xx answer is a refusal the operator sees, and nothing is
sent to the address it names (two real HTTP servers on 127.0.0.1)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from protocol.refusals import Refusal
from uploader.transport import Answer, Transport


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_not_followed_and_says_so(status: int) -> None:
    received: list[bytes] = []

    async def elsewhere(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({"ok": True})

    other = web.Application()
    other.router.add_route("*", "/{tail:.*}", elsewhere)
    async with serving(other) as other_url:

        async def redirect(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": other_url + request.path})

        platform = web.Application()
        platform.router.add_route("*", "/{tail:.*}", redirect)
        async with serving(platform) as platform_url, Transport(platform_url) as transport:
            posted = await transport.post("/v1/batches", b"sealed batch", {"Content-Type": "application/octet-stream"})
            got = await transport.get("/v1/health")
    for result in (posted, got):
        assert isinstance(result, Refusal) and not isinstance(result, Answer)
        assert (result.status, result.problem.code) == (status, "platform.redirect")
        assert result.problem.zh and result.problem.en
    assert received == []

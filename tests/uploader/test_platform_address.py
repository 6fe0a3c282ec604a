"""An address that breaks the platform address rule is never contacted by the uploader (issue 16, finding
1): a device enrolled with one before the rule keeps its events and sends nothing there. A real socket on
127.0.0.1 records whether anything arrived."""

from __future__ import annotations

import pytest

from tests.uploader.listener import listener
from uploader.transport import Transport, Unreachable


@pytest.mark.parametrize("url", ["http://localhost@127.0.0.1:{port}", "http://0.0.0.0:{port}"])
async def test_a_request_to_an_address_the_rule_refuses_is_never_sent(url: str) -> None:
    async with listener() as (port, received), Transport(url.format(port=port)) as transport:
        posted = await transport.post("/v1/batches", b"sealed", {})
        got = await transport.get("/v1/health")
    assert isinstance(posted, Unreachable) and isinstance(got, Unreachable)
    assert "address" in posted.reason
    assert received == []


async def test_this_machine_over_http_is_still_allowed() -> None:
    async with listener() as (port, received), Transport(f"http://127.0.0.1:{port}") as transport:
        await transport.get("/v1/health")
    assert received and received[0].startswith(b"GET /v1/health")

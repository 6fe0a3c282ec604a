"""Slow and idle clients cannot stop reporting: a request takes a load slot only once its signature has
verified, its body must come at a minimum rate, one address holds a bounded share of the server, and a
connection without a whole request is closed.

The clients here speak HTTP by hand on a socket to 127.0.0.1, so that they can announce a body and
send one byte of it. `Expect: 100-continue` is the synchronisation: the server answers `100 Continue`
when it starts handling a request, so once a client has read it, the server is in that request.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from receiver.app import PLATFORM, Settings
from receiver.checks import Limits

DEADLINE = 20  # seconds: a deadline for the test to fail by, never a synchronisation


@dataclass
class RawUpload:
    """A request on a socket of its own: headers sent, the body perhaps in part."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self) -> tuple[int, str | None]:
        """The final answer's status and refusal code (a `100 Continue` before it is skipped)."""
        return await asyncio.wait_for(self._answer(), DEADLINE)

    async def _answer(self) -> tuple[int, str | None]:
        while True:
            status = int((await self.reader.readline()).split()[1])
            headers = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if status != 100:
                break
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        try:
            return status, json.loads(body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return status, None

    def close(self) -> None:
        self.writer.close()


async def start_upload(base_url: str, path: str, headers: dict[str, str], announce: int,
                       first: bytes = b"x") -> RawUpload:
    """POST announcing `announce` bytes: wait for the server to take the request (100 Continue), send
    `first` bytes of the body and no more."""
    address = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    lines = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}", f"Content-Length: {announce}",
             "Expect: 100-continue", *(f"{name}: {value}" for name, value in headers.items()
                                       if name.lower() != "content-length")]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), DEADLINE)
    assert line.startswith(b"HTTP/1.1 100"), line
    assert await reader.readline() == b"\r\n"
    upload = RawUpload(reader, writer)
    await upload.send(first)
    return upload


async def test_slow_unauthenticated_uploads_do_not_stop_reporting(receiver, events) -> None:
    """The finding: 16 connections announcing 1 MB and sending 1 byte made real batches get 503."""
    device = await receiver.enroll()
    slow = [await start_upload(receiver.base_url, "/v1/batches", {"Content-Type": "application/octet-stream"},
                               1_000_000) for _ in range(16)]
    reply = await receiver.report(device, [events.no_arrivals()])
    assert reply.status == 200, reply.body
    for upload in slow:  # refused for what their headers say, without waiting for the body
        assert await upload.answer() == (401, "signature.missing")
        upload.close()


async def test_slow_signed_uploads_hold_no_load_slot(start_receiver, events) -> None:
    receiver = await start_receiver(Settings(max_in_flight=2))
    device = await receiver.enroll()
    sealed = [receiver.seal(device, [events.no_arrivals(f"2025-02-{day:02}")]) for day in range(1, 5)]
    slow = [await start_upload(receiver.base_url, "/v1/batches", receiver.signed_headers(device, item),
                               len(item.body), item.body[:1]) for item in sealed]
    reply = await receiver.report(device, [events.no_arrivals()])
    assert reply.status == 200, reply.body
    for upload, item in zip(slow, sealed):  # they were real batches, only slow: they go through too
        await upload.send(item.body[1:])
        assert await upload.answer() == (200, None)
        upload.close()
    assert receiver.storage.count_events() == 5


async def test_a_body_slower_than_the_minimum_rate_is_refused(start_receiver, events) -> None:
    receiver = await start_receiver(Settings(limits=Limits(body_grace=0.3, body_min_rate=1000)))
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    upload = await start_upload(receiver.base_url, "/v1/batches", receiver.signed_headers(device, sealed),
                                100_000, sealed.body[:1])
    assert await upload.answer() == (408, "body.too_slow")
    assert await asyncio.wait_for(upload.reader.read(), DEADLINE) == b""  # and the connection is closed
    assert receiver.app[PLATFORM].gate.in_flight == 0


async def test_one_address_holds_a_bounded_number_of_requests(start_receiver, events) -> None:
    receiver = await start_receiver(Settings(limits=Limits(max_per_address=3)))
    device = await receiver.enroll()
    sealed = [receiver.seal(device, [events.no_arrivals(f"2025-02-{day:02}")]) for day in range(1, 4)]
    slow = [await start_upload(receiver.base_url, "/v1/batches", receiver.signed_headers(device, item),
                               len(item.body), item.body[:1]) for item in sealed]
    reply = await receiver.request("GET", "/v1/health")
    assert (reply.status, reply.code) == (429, "rate.too_many_connections")
    assert int(reply.headers["Retry-After"]) >= 1
    await slow[0].send(sealed[0].body[1:])
    assert await slow[0].answer() == (200, None)
    assert (await receiver.request("GET", "/v1/health")).status == 200  # a place is free again
    for upload in slow:
        upload.close()


async def test_a_connection_without_a_whole_request_is_closed(start_receiver) -> None:
    receiver = await start_receiver(Settings(idle_timeout=0.3))
    address = urlsplit(receiver.base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(b"POST /v1/batches HTTP/1.1\r\nHost: x\r\n")  # headers begun, never finished
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), DEADLINE) == b""
    writer.close()

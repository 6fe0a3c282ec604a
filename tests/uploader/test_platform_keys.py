"""The agent's belief about the platform's keys, against a real `dengji-receiver serve` on 127.0.0.1:
no rollback to an old platform key however genuine its announcement, and a replaced receipt key followed
(the old one named the new one), with the answers kept from before still verifiable."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from sqlmodel import select

from agent.store.models import OutboxBatch
from agent.store.opening import open_store
from protocol.refusals import Refusal
from receiver.storage import Storage
from tests.uploader.processes import Receiver, dengji, register_guests, status
from uploader.device import load_device
from uploader.platform_keys import verify_kept_answer
from uploader.sender import Sender
from uploader.transport import Transport


@contextlib.asynccontextmanager
async def answering(body: bytes, status: int) -> AsyncIterator[str]:
    """A server on 127.0.0.1 that answers every request with `body`: someone answering in the
    platform's place, with whatever genuine statements it collected."""

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, status=status, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def test_an_old_announcement_cannot_roll_the_agent_back(enrolled_hotel: Receiver, private_home: Path) -> None:
    store = open_store(private_home)
    first_key = load_device(store).platform_key.key_id
    enrolled_hotel.admin("rotate-key")
    register_guests(1)
    dengji("send")  # the answer announces the new key: adopted
    newer_key = load_device(store).platform_key.key_id
    assert newer_key != first_key
    platform = Storage(enrolled_hotel.db)
    old_announcement = json.loads(next(r.announcement for r in platform.platform_keys() if r.key_id == first_key))
    platform.close()
    refusal = Refusal.of("seal.unknown_key", extra={"platform_key": old_announcement})  # genuine, but old
    register_guests(1, start=1)

    async def once() -> object:
        async with answering(refusal.body(), refusal.status) as url, Transport(url) as transport:
            return await Sender(store, load_device(store), transport).step()

    step = asyncio.run(once())
    assert step.kind == "blocked"  # told to the operator, retried at the cap: not resealed to the old key
    assert load_device(store).platform_key.key_id == newer_key
    store.dispose()
    dengji("send")  # the real platform takes the batch, sealed to the newer key
    assert status()["sent"] == 2


def test_the_agent_follows_a_new_receipt_key_and_still_verifies_old_answers(enrolled_hotel: Receiver,
                                                                             private_home: Path) -> None:
    register_guests(2)
    dengji("send")
    store = open_store(private_home)
    before = load_device(store)
    enrolled_hotel.admin("rotate-receipt-key")
    enrolled_hotel.stop()  # a running server picks the new key up within a minute; a restart, at once
    enrolled_hotel.start()
    register_guests(1, start=2)
    dengji("send")
    assert status()["sent"] == 3
    after = load_device(store)
    assert after.receipt_key_id != before.receipt_key_id
    assert after.previous_receipt_keys == ((before.receipt_key_id, before.receipt_public_key),)
    with store.read() as session:
        kept = [row.answer for row in session.exec(select(OutboxBatch).where(OutboxBatch.answer.is_not(None)))]
    signers = {json.loads(answer)["signed_by"] for answer in kept}
    assert signers == {before.receipt_key_id, after.receipt_key_id}
    assert sum(len(verify_kept_answer(after, answer)) for answer in kept) == 3  # every receipt, old and new
    store.dispose()

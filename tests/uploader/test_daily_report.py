"""The daily no-arrivals report (无入住上报) is sent by the uploader on its own: a hotel set up two days
ago with nobody arriving owes two reports, and the platform receives each once."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from agent.domain import CHINA_TIME
from agent.register.delivery import delivery_state
from agent.store.models import Venue
from agent.store.opening import open_store
from tests.uploader.processes import Receiver
from uploader.daemon import Daemon, DaemonSettings


async def test_the_daemon_sends_the_reports_owed_for_days_without_arrivals(enrolled_hotel: Receiver,
                                                                           private_home: Path) -> None:
    store = open_store(private_home)
    set_up = datetime.now(UTC) - timedelta(days=2)
    store.write(lambda s: s.execute(update(Venue).values(created_at=set_up)))  # a hotel set up two days ago
    daemon = Daemon(store, DaemonSettings(send_interval=60, handle_signals=False))
    running = asyncio.ensure_future(daemon.run())
    deadline = time.monotonic() + 30
    try:
        while delivery_state(store).sent < 2:
            assert time.monotonic() < deadline and not running.done()
            await asyncio.sleep(0.2)  # the daemon works in this loop; polling bounded by the deadline
    finally:
        daemon.stop.set()
        await asyncio.wait_for(running, 10)
    held = json.loads(enrolled_hotel.admin("events", "--json"))
    first = set_up.astimezone(CHINA_TIME).date()
    assert sorted((e["type"], e["data"]["date"]) for e in held) == [
        ("no_arrivals_report", first.isoformat()), ("no_arrivals_report", (first + timedelta(days=1)).isoformat())]
    # A restart owes nothing more today.
    from agent.register.registry import Registry

    assert Registry(store).report_no_arrivals() == []
    store.dispose()

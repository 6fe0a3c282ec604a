"""The TUI sends from its own process when no daemon does: through the uploader it is handed, never HTTP itself."""

from __future__ import annotations

import time
from pathlib import Path

from agent.register.registry import Registry
from agent.store.opening import open_store
from tests.uploader.processes import Receiver
from tui.app import DengjiApp
from tui.preferences import Preferences
from tui.session import TuiSession
from uploader.delivery import UploaderDelivery


async def test_registrations_reach_the_platform_while_the_tui_runs(enrolled_hotel: Receiver, private_home: Path,
                                                                    seed_guests) -> None:  # type: ignore[no-untyped-def]
    registry = Registry(open_store(private_home))
    seed_guests(registry, 3)
    session = TuiSession(home=private_home, registry=None, preferences=Preferences(),
                         make_delivery=lambda r: UploaderDelivery(r.store))
    session.use_registry(registry)
    session.venue = registry.venue()
    app = DengjiApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        deadline = time.monotonic() + 30
        while registry.outbox_counts()["sent"] < 3:
            assert time.monotonic() < deadline, registry.outbox_counts()
            await pilot.pause(0.1)  # lets the app's loop run the sender; bounded by the deadline
        line = app.screen.query_one("#delivery")
        while "平台：在线" not in str(line.render()):  # the home line catches up within its refresh period
            assert time.monotonic() < deadline, str(line.render())
            await pilot.pause(0.1)
        assert "待上传 0" in str(line.render()) and "由本程序发送" in str(line.render())
        assert not app.screen.query_one("#not-reporting").display  # enrolled and sending: no warning
    assert len(enrolled_hotel.event_ids()) == 3
    registry.store.dispose()

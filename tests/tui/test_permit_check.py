"""The residence-permit check (一证通) from a person's detail view, answered by the real platform."""

from __future__ import annotations

import time
from pathlib import Path

from agent.cli.demo_people import sample_registration
from agent.register.registry import Registry
from agent.store.opening import open_store
from tests.tui.conftest import ARRIVED
from tests.tui.test_rejected import _app
from tests.uploader.processes import Receiver


async def test_check_a_permit_from_the_person_view(enrolled_hotel: Receiver, private_home: Path,
                                                   tmp_path: Path) -> None:
    registry = Registry(open_store(private_home))
    guest = sample_registration(5, "stay", ARRIVED, unit="305")
    guest["person"]["residence_permit_number"] = "4101020000054321"
    assert registry.register(guest).ok
    permits = tmp_path / "permits.csv"
    permits.write_text("permit_number,document_number,valid_from,valid_until,status\n"
                       f"4101020000054321,{guest['person']['doc_number']},2020-01-01,2024-12-31,valid\n",
                       encoding="utf-8")
    enrolled_hotel.admin("load-permits", str(permits))
    app = _app(private_home, registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.press("down", "enter")  # the list, then the one person
        deadline = time.monotonic() + 30
        while app.screen.id != "person":
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        assert "not checked" in str(app.screen.query_one("#permit").render())
        await pilot.press("f7")
        while app.screen.id != "permit-check":
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        await pilot.press("enter")  # the number recorded at registration
        while "expired" not in str(app.screen.query_one("#permit-answer").render()):
            assert time.monotonic() < deadline, str(app.screen.query_one("#permit-answer").render())
            await pilot.pause(0.1)
        await pilot.press("escape")
        while "expired (until 2024-12-31)" not in str(app.screen.query_one("#permit").render()):
            assert time.monotonic() < deadline, str(app.screen.query_one("#permit").render())
            await pilot.pause(0.1)
    assert [c.status for c in registry.permit_checks(1)] == ["expired"]
    registry.store.dispose()

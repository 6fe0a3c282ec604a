"""The rejected list: a record the real platform refused is shown with its reason, fixed in the form
(or its departure time re-entered, or sent again unchanged), and the correction reaches the platform."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path

from textual.widgets import DataTable, Input

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from agent.register.registry import Registry
from agent.store.opening import open_store
from tests.tui.conftest import ARRIVED
from tests.uploader.processes import Receiver, dengji
from tui.app import DengjiApp
from tui.preferences import Preferences
from tui.session import TuiSession
from uploader.delivery import UploaderDelivery
from uploader.device import load_device


def _app(home: Path, registry: Registry, lang: str = "zh") -> DengjiApp:
    session = TuiSession(home=home, registry=None, lang=lang, preferences=Preferences(),
                         make_delivery=lambda r: UploaderDelivery(r.store))
    session.use_registry(registry)
    session.venue = registry.venue()
    return DengjiApp(session)


def _refused_guests(receiver: Receiver, home: Path, tmp_path: Path) -> Registry:
    """Guests in rooms 301 (filed) and 399 (not filed), the second one departed; sent, and refused."""
    registry = Registry(open_store(home))
    units = tmp_path / "units.txt"
    units.write_text("301\n302\n", encoding="utf-8")
    receiver.admin("file-units", load_device(registry.store).device_id, str(units))
    assert registry.register(sample_registration(1, "stay", ARRIVED, unit="301")).ok
    refused = registry.register(sample_registration(2, "stay", ARRIVED, unit="399"))
    assert refused.registration_id is not None
    assert registry.depart(refused.registration_id).ok
    assert dengji("send", check=False, process=True).returncode == 1  # in the test's event loop: a process of its own
    assert [r.code for r in registry.corrections.rejections()] == ["unit.not_filed", "registration.unknown"]
    return registry


async def _until(pilot, condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, what
        await pilot.pause(0.1)  # the app's loop runs the workers and the sender; bounded by the deadline


async def test_fix_a_refused_registration_in_the_form_and_it_reaches_the_platform(
        enrolled_hotel: Receiver, private_home: Path, tmp_path: Path) -> None:
    registry = _refused_guests(enrolled_hotel, private_home, tmp_path)
    app = _app(private_home, registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        table = app.screen.query_one("#rejected-list", DataTable)
        await _until(pilot, lambda: table.row_count == 2, "the two refusals are listed")
        assert "没有在公安机关备案" in str(app.screen.query_one("#rejected-reason").render())
        await pilot.press("enter")
        await _until(pilot, lambda: app.screen.id == "register", "the form opens")
        unit = app.screen.query_one("#f-unit", Input)
        assert unit.value == "399"  # the form holds what was sent
        assert "备案" in str(app.screen.query_one("#correcting").render())
        unit.value = "302"
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: app.screen.id == "rejected", "saving goes back to the list")
        await _until(pilot, lambda: registry.corrections.rejections() == [] and registry.outbox_counts()["pending"] == 0
                     and registry.outbox_counts()["in_flight"] == 0, "the correction and the departure are sent")
        await _until(pilot, lambda: table.row_count == 0, "the list empties")
    held = json.loads(enrolled_hotel.admin("events", "--json"))
    assert sorted(e["type"] for e in held) == ["correction", "departure", "registration"]
    assert next(e for e in held if e["type"] == "correction")["data"]["unit"] == "302"
    registry.store.dispose()


async def test_a_refused_departure_takes_a_new_time_and_a_record_can_be_sent_again(
        enrolled_hotel: Receiver, private_home: Path, tmp_path: Path) -> None:
    registry = _refused_guests(enrolled_hotel, private_home, tmp_path)
    units = tmp_path / "units.txt"
    units.write_text("301\n302\n399\n", encoding="utf-8")  # room 399 filed at the station after all
    enrolled_hotel.admin("file-units", load_device(registry.store).device_id, str(units))
    app = _app(private_home, registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        table = app.screen.query_one("#rejected-list", DataTable)
        await _until(pilot, lambda: table.row_count == 2, "the two refusals are listed")
        await pilot.press("r")  # the registration, unchanged
        await _until(pilot, lambda: table.row_count == 1, "the resent registration leaves the list")
        await pilot.press("enter")  # the departure: a new time
        await _until(pilot, lambda: app.screen.id == "departure-time", "the time is asked")
        await pilot.press(*"2025-05-01 09:00", "enter")  # before the arrival at 10:00
        await _until(pilot, lambda: "before" in str(app.screen.query_one("#departure-time-message").render()),
                     "a departure before the arrival is refused on the spot")
        # Within 72 hours of now: further back, a departure needs a late reason (issue 18).
        recent = datetime.now(CHINA_TIME) - timedelta(hours=1)
        app.screen.query_one(Input).value = recent.strftime("%Y-%m-%d %H:%M")
        await pilot.press("enter")
        await _until(pilot, lambda: registry.corrections.rejections() == [] and registry.outbox_counts()["pending"] == 0
                     and registry.outbox_counts()["in_flight"] == 0, "both are sent")
    held = json.loads(enrolled_hotel.admin("events", "--json"))
    assert sorted(e["type"] for e in held) == ["departure", "registration", "registration"]
    assert next(e for e in held if e["type"] == "departure")["data"]["departed_at"].startswith(
        recent.strftime("%Y-%m-%dT%H:%M"))
    registry.store.dispose()

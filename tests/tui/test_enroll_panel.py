"""The TUI's enrollment panel (issue 16, finding 1): the platform address by the one rule, and the key
fingerprint the police station hands over with the code, passed through the agent's API to the uploader.

A real `dengji-receiver serve` on 127.0.0.1, the real uploader behind the `Delivery` the TUI is handed,
the real store; the person presses Enter on the focused Connect button.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.domain.errors import NotEnrolled
from agent.register.registry import Registry
from tests.uploader.processes import Receiver
from tui.app import DengjiApp
from tui.preferences import Preferences
from tui.screens.settings_screen import SettingsScreen
from tui.session import TuiSession
from uploader.delivery import UploaderDelivery
from uploader.device import load_device


def issue(receiver: Receiver) -> tuple[str, str]:
    """A code and the fingerprint printed beside it, as `dengji-receiver issue-code` shows them."""
    out = receiver.admin("issue-code", "--venue", "测试宾馆", "--kind", "hotel")
    fingerprint = next(line.split()[-1] for line in out.splitlines() if "fingerprint" in line)
    return out.split()[-1], fingerprint


def app_on(registry: Registry, home: Path, lang: str) -> DengjiApp:
    session = TuiSession(home=home, registry=None, lang=lang, preferences=Preferences(),
                         make_delivery=lambda r: UploaderDelivery(r.store))
    session.use_registry(registry)
    session.venue = registry.venue()
    return DengjiApp(session)


async def connect(app: DengjiApp, pilot, url: str, code: str, fingerprint: str) -> str:  # type: ignore[no-untyped-def]
    """Fill the panel in Settings, press Enter on the focused Connect button; the panel's message."""
    panel = app.screen.query_one("#enroll-panel")
    panel.query_one("#platform-url").value = url
    panel.query_one("#enroll-code").value = code
    panel.query_one("#enroll-fingerprint").value = fingerprint
    button = panel.query_one("#enroll")
    button.focus()
    for _ in range(20):  # a button ignores Enter for 0.2 s after a press (Textual's "active" effect), as
        if not button.has_class("-active"):  # a person's next Enter comes later: wait that effect out
            break
        await pilot.pause(0.05)
    await pilot.pause()
    assert app.focused is not None and app.focused.id == "enroll"
    message = panel.query_one("#enroll-message")
    message.update("")  # the answer to this press, told from the one before
    await pilot.press("enter")
    # The key reaches the button, and the button the panel, through message queues: a loaded machine
    # returns from the press before the panel has started (CI read the last attempt's answer). Started,
    # the panel says so at once ("Connecting...", or a problem found before any network I/O).
    for _ in range(200):
        if str(message.render()):
            break
        await pilot.pause()
    # The enrollment's own worker (if it is still running), not the uploader's sending loop, which runs
    # alongside until the app ends.
    enrolling = [worker for worker in app.workers if worker.name == "_enroll"]
    if enrolling:
        await app.workers.wait_for_complete(enrolling)
    await pilot.pause()
    return str(panel.query_one("#enroll-message").render())


async def test_a_mistyped_fingerprint_is_refused_and_the_same_code_then_enrolls(
        private_home: Path, hotel_registry: Registry, receiver: Receiver) -> None:
    code, fingerprint = issue(receiver)
    other = "0000-0000-0000-0000" if fingerprint != "0000-0000-0000-0000" else "1111-1111-1111-1111"
    app = app_on(hotel_registry, private_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        assert isinstance(app.screen, SettingsScreen)
        said = await connect(app, pilot, receiver.url, code, other)
        assert "is not the one the police station gave" in said and "the code is still good" in said
        assert fingerprint not in said  # never shown: it would be copied over the station's
        assert app.session.delivery is not None and not app.session.delivery.state().enrolled
        said = await connect(app, pilot, receiver.url, code, fingerprint.lower())  # the same code, typed loosely
        assert "Connected to the platform" in said
    assert load_device(hotel_registry.store).platform_url == receiver.url


async def test_an_address_that_only_begins_like_this_machine_is_refused_by_the_rule(
        private_home: Path, hotel_registry: Registry) -> None:
    app = app_on(hotel_registry, private_home, "zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        for url in ("http://localhost.attacker.example", "http://localhost@attacker.example"):
            said = await connect(app, pilot, url, "AAAA-BBBB-CCCC-DDDD", "3F9A-QK2M-7TXC-0H5R")
            assert "平台地址" in said and "https://" in said, said
        assert not app.session.delivery.state().enrolled


async def test_a_platform_off_this_machine_needs_the_fingerprint(private_home: Path,
                                                                 hotel_registry: Registry) -> None:
    """Refused before any network I/O: the address does not resolve, and nothing is tried."""
    app = app_on(hotel_registry, private_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        said = await connect(app, pilot, "https://platform.invalid", "AAAA-BBBB-CCCC-DDDD", "")
        assert "Give the platform key fingerprint" in said
    with pytest.raises(NotEnrolled):
        load_device(hotel_registry.store)


"""Fixtures for the TUI tests: a real store in the test's private home, a clock that holds still."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from agent.register.registry import Registry
from tui.app import DengjiApp
from tui.clock import fixed_clock
from tui.preferences import Preferences
from tui.session import TuiSession

NOW = datetime(2025, 5, 1, 14, 30, tzinfo=CHINA_TIME)
ARRIVED = "2025-05-01 10:00"
SIZE = (80, 24)

AppFactory = Callable[..., DengjiApp]


def _seed_guests(registry: Registry, count: int, start: int = 0) -> list[int]:
    """Register `count` sample guests in rooms 301, 302, ...; returns their registration ids."""
    ids = []
    for i in range(start, start + count):
        outcome = registry.register(sample_registration(i, "stay", ARRIVED, unit=str(301 + i)))
        assert outcome.ok, outcome.problems
        assert outcome.registration_id is not None
        ids.append(outcome.registration_id)
    return ids


@pytest.fixture
def hotel_registry_at_now(private_home: Path) -> Iterator[Registry]:
    """A hotel's register on the screens' clock (NOW), for tests that check out through a screen: the time
    the screen offers as "now" is the register's now too, as in use. On the real clock that time is a
    departure backdated over 72 hours, which needs a late reason (issue 18)."""
    from agent.store.opening import open_store
    from agent.validation.venue import VenueDetails

    store = open_store(private_home, create=True)
    registry = Registry(store, clock=fixed_clock(NOW))
    registry.set_venue(VenueDetails(kind="hotel", name="测试宾馆"))
    yield registry
    store.dispose()


@pytest.fixture
def make_app(private_home: Path) -> AppFactory:
    """Build the app on a registry (None: first run) in the test's home, with the clock at NOW."""

    def build(registry: Registry | None, lang: str = "zh", preferences: Preferences | None = None) -> DengjiApp:
        session = TuiSession(home=private_home, registry=registry, lang=lang, clock=fixed_clock(NOW),
                             preferences=preferences or Preferences())
        session.venue = registry.venue() if registry is not None else None
        return DengjiApp(session)

    return build


async def settle(app: DengjiApp, pilot, rounds: int = 3, frames: int = 30) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app has done what the last key started: its workers, then the frames after, until
    the screen has no layout or repaint pending (at most `frames` more): a loaded machine draws what a
    worker showed a frame or two later, and a test that reads a half-laid-out screen fails for nothing."""
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
    for _ in range(frames):
        if not _drawing_pending(app):
            return
        await pilot.pause()


def _drawing_pending(app: DengjiApp) -> bool:
    """Whether the screen still owes a frame: a layout, a scroll, a repaint, a recompose, a widget to
    redraw, or a table whose column widths wait for its new rows."""
    from textual.widgets import DataTable

    screen = app.screen
    if (screen._layout_required or screen._scroll_required or screen._repaint_required  # noqa: SLF001
            or screen._recompose_required or screen._dirty_widgets):  # noqa: SLF001
        return True
    return any(table._require_update_dimensions for table in screen.query(DataTable))  # noqa: SLF001


def sees(screen_text: Callable[[DengjiApp], str], app: DengjiApp, text: str) -> bool:
    """Whether `text` is drawn, a line break or a box's side in between not counting."""
    return "".join(text.split()) in "".join(screen_text(app).replace("│", "").split())


async def until_drawn(app: DengjiApp, pilot, text: str, frames: int = 30) -> bool:  # type: ignore[no-untyped-def]
    """Whether `text` gets drawn, frame by frame (at most `frames`): a table's new rows and a form's new
    layout are drawn a frame or two after the work that made them, later on a loaded machine."""
    for _ in range(frames):
        if sees(_screen_text, app, text):
            return True
        await pilot.pause()
    return sees(_screen_text, app, text)


def _screen_text(app: DengjiApp) -> str:
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())  # noqa: SLF001


@pytest.fixture
def seed_guests() -> Callable[..., list[int]]:
    """`seed_guests(registry, count, start=0)`: sample guests in rooms 301, 302, ...; their registration ids."""
    return _seed_guests


async def _burst(app: DengjiApp, pilot, *lines: str, then: str = "") -> None:  # type: ignore[no-untyped-def]
    """Type each line and Enter in one burst, as a keyboard-wedge scanner does (no pause between keys,
    unlike `pilot.press`, which waits for the app to go idle after every key); then `then`, typed by
    fast hands in the same burst, without an Enter."""
    from textual import events

    driver = app._driver  # noqa: SLF001 - the pilot's own way in
    assert driver is not None

    def send(key: str, char: str) -> None:
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)

    for line in lines:
        for char in line:
            send(char if char.isalnum() else {"<": "less_than_sign"}.get(char, char), char)
        send("enter", "\r")
    for char in then:
        send(char if char.isalnum() else {" ": "space"}.get(char, char), char)
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def burst() -> Callable[..., object]:
    """`await burst(app, pilot, *lines)`: a scanner typing lines, each ended by Enter."""
    return _burst


@pytest.fixture
def screen_text() -> Callable[[DengjiApp], str]:
    """`screen_text(app)`: what the terminal shows now, as plain text, one line per row."""
    return _screen_text

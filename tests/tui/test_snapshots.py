"""How the main screens look at 80x24, in Chinese and in English (pytest-textual-snapshot).

The store is real and the clock fixed, so a snapshot changes only when the screen does. After an
intended change of the look: `pytest tests/tui/test_snapshots.py --snapshot-update`, then review the
SVGs under `__snapshots__/` before committing them.
"""

from __future__ import annotations

import pytest

from tui.pin import hash_pin
from tui.preferences import Preferences

SIZE = (80, 24)


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until no worker runs and none was started by what the last ones posted (a screen's loading
    worker may start after the first wait, and the table's column widths follow its rows a frame later)."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _steady_cursors(pilot) -> None:  # type: ignore[no-untyped-def]
    """Stop the inputs' cursors blinking (shown steadily): a blink every 0.5 s decides the picture on a
    loaded machine, where the screenshot comes later (seen in full runs beside subprocess-heavy tests)."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


def _keys(*keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        if keys:
            await pilot.press(*keys)
        await _settle(pilot)
        _steady_cursors(pilot)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_home(snap_compare, hotel_registry, make_app, seed_guests, lang):
    seed_guests(hotel_registry, 6)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_register_form(snap_compare, hotel_registry, make_app, lang):
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys("f2"))


def test_register_form_with_an_error(snap_compare, hotel_registry, make_app):
    assert snap_compare(make_app(hotel_registry), terminal_size=SIZE, run_before=_keys("f2", "ctrl+s"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_departure(snap_compare, hotel_registry, make_app, seed_guests, lang):
    seed_guests(hotel_registry, 5)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys("f3", "3", "0"))


def test_people_en(snap_compare, hotel_registry, make_app, seed_guests):
    seed_guests(hotel_registry, 4)
    assert snap_compare(make_app(hotel_registry, lang="en"), terminal_size=SIZE, run_before=_keys("f4"))


def test_setup_wizard_zh(snap_compare, make_app):
    assert snap_compare(make_app(None), terminal_size=SIZE, run_before=_keys())


def test_help_en(snap_compare, hotel_registry, make_app):
    assert snap_compare(make_app(hotel_registry, lang="en"), terminal_size=SIZE, run_before=_keys("f1"))


def test_lock_zh(snap_compare, hotel_registry, make_app):
    app = make_app(hotel_registry, preferences=Preferences(pin_hash=hash_pin("1357")))
    assert snap_compare(app, terminal_size=SIZE, run_before=_keys("ctrl+l"))

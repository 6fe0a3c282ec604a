"""How the main screens look at 80x24, in Chinese and in English (pytest-textual-snapshot).

The store is real and the clock fixed, so a snapshot changes only when the screen does. After an
intended change of the look: `pytest tests/tui/test_snapshots.py --snapshot-update`, then review the
SVGs under `__snapshots__/` before committing them.
"""

from __future__ import annotations

import pytest

from agent.duties.operators import add_operator

SIZE = (80, 24)


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until no worker runs and none was started by what the last ones posted (a screen's loading
    worker may start after the first wait, and the table's column widths follow its rows a frame later),
    and until the card reader has been found or found absent (no reader here: "无读卡器").
    The app holds the text cursor still (`DengjiApp.on_descendant_focus`), so no blink phase shows."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.app.card_reading.settled()  # a screen that takes cards shows whether a reader is there
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
    add_operator(hotel_registry.store, "老板", "owner", "2468", actor=None)
    add_operator(hotel_registry.store, "小王", "clerk", "1357", actor="老板")
    assert snap_compare(make_app(hotel_registry), terminal_size=SIZE, run_before=_keys())


LARGE = (200, 60)


def test_home_large_zh(snap_compare, hotel_registry, make_app, seed_guests):
    seed_guests(hotel_registry, 12)
    assert snap_compare(make_app(hotel_registry), terminal_size=LARGE, run_before=_keys())


def test_register_form_large_en(snap_compare, hotel_registry, make_app):
    assert snap_compare(make_app(hotel_registry, lang="en"), terminal_size=LARGE, run_before=_keys("f2"))


def test_home_light_theme_zh(snap_compare, hotel_registry, make_app, seed_guests):
    seed_guests(hotel_registry, 3)
    assert snap_compare(make_app(hotel_registry), terminal_size=SIZE, run_before=_keys("f8"))


def test_register_form_light_theme_en(snap_compare, hotel_registry, make_app):
    assert snap_compare(make_app(hotel_registry, lang="en"), terminal_size=SIZE, run_before=_keys("f8", "f2"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rejected(snap_compare, hotel_registry, make_app, seed_guests, lang):
    from sqlalchemy import update

    from agent.register.registry import Registry
    from agent.store.models import OutboxEntry
    from tests.tui.conftest import NOW

    seed_guests(Registry(hotel_registry.store, clock=lambda: NOW), 2)  # events dated by the app's clock
    hotel_registry.store.write(lambda s: s.execute(update(OutboxEntry).where(OutboxEntry.event_seq == 2).values(
        state="rejected", reject_code="unit.not_filed", reject_zh="这个房间/单元没有在公安机关备案，请核对房间号，或先到派出所办理备案。",
        reject_en="This unit is not on file with the police station: check the unit, or file it at the station first.")))
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys("f5"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_discard_question(snap_compare, hotel_registry, make_app, lang):
    """Esc on a form with a name typed: the question, Keep editing focused (what Enter does)."""
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f2", "enter", "enter", "enter", *"wang", "escape"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_check_out_question(snap_compare, hotel_registry, make_app, seed_guests, lang):
    """Enter on a person in Departure: who (name, room, masked number) and when, before anything is written."""
    seed_guests(hotel_registry, 3)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f3", "enter", "enter"))


def _family(registry, unit: str = "501", count: int = 3) -> None:  # type: ignore[no-untyped-def]
    from agent.cli.demo_people import sample_registration
    from tests.tui.conftest import ARRIVED

    for i in range(count):
        assert registry.register(sample_registration(i, "stay", ARRIVED, unit=unit)).ok


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_whole_room_question(snap_compare, hotel_registry, make_app, lang):
    """Enter on a person whose room has others: who else is there, and who leaves (only this person chosen)."""
    _family(hotel_registry)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f3", "enter", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_whole_room_question_chosen_narrow(snap_compare, hotel_registry, make_app, lang):
    """The whole room chosen, at 60x20: the button says how many leave."""
    _family(hotel_registry)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=(60, 20),
                        run_before=_keys("f3", "enter", "enter", "down", "enter", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_late_check_out_question(snap_compare, hotel_registry, make_app, seed_guests, lang):
    """A time more than 72 hours back: the rule, and the field for the reason, with the cursor in it."""
    seed_guests(hotel_registry, 1)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f3", "enter", "enter", "ctrl+u", *"2025-04-27 10:00", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_undo_question(snap_compare, hotel_registry_at_now, make_app, lang):
    """Ctrl+Z after a whole room's check-out: everyone who comes back, with room and masked number."""
    _family(hotel_registry_at_now)
    assert snap_compare(make_app(hotel_registry_at_now, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f3", "enter", "enter", "down", "enter", "enter", "enter", "ctrl+z"))

"""A room change and an extension from a person's screen: Ctrl+T / Ctrl+E (or Tab to the button), the
small question, Enter on the focused button; refusals said in the question; Esc asks before losing
what was typed. Real store, the screens' clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import select

from agent.domain import CHINA_TIME
from agent.store.models import Event
from tests.tui.conftest import settle as _settle
from tui.screens.discard_modal import DiscardModal
from tui.screens.person_screen import PersonScreen
from tui.screens.stay_change_modal import StayChangeModal

SIZES = [(80, 24), (60, 20)]


@pytest.fixture
def hotel_registry(hotel_registry_at_now):  # type: ignore[no-untyped-def]
    return hotel_registry_at_now


async def _open_person(app, pilot, unit: str) -> None:  # type: ignore[no-untyped-def]
    """F4, type the room, Enter to the list, Enter on the person."""
    await pilot.press("f4")
    await _settle(app, pilot)
    await pilot.press(*unit, "enter", "enter")
    await _settle(app, pilot)
    assert isinstance(app.screen, PersonScreen)


def _sees(screen_text, app, text: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether `text` is drawn (a line break in the terminal, or in a box, is not a break in the text)."""
    return "".join(text.split()) in "".join(screen_text(app).replace("│", "").split())


def _events(registry, kind: str) -> list[Event]:  # type: ignore[no-untyped-def]
    with registry.store.read() as session:
        return list(session.exec(select(Event).where(Event.type == kind)).all())


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "60x20"])
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_guest_changes_room_with_enter_on_the_button(hotel_registry, make_app, seed_guests, screen_text,
                                                             lang, size):
    say = (lambda zh, en: en if lang == "en" else zh)
    [guest, _] = seed_guests(hotel_registry, 2)
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        await _open_person(app, pilot, "301")
        await pilot.press("ctrl+t")
        await _settle(app, pilot)
        assert isinstance(app.screen, StayChangeModal)
        text = screen_text(app)
        assert say("换房", "Change room") in text and "301" in text
        await pilot.press("3", "0", "9", "enter")
        assert app.focused is not None and app.focused.id == "change-confirm"  # Enter went to the button
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, PersonScreen)
        assert say("已换房：现在住 309", "Room changed: now in 309") in screen_text(app)
        assert app.screen.view.unit == "309"
    [moved] = [v for v in hotel_registry.registrations() if v.id == guest]
    assert moved.unit == "309"
    [event] = _events(hotel_registry, "unit_change")
    assert hotel_registry.event_payload(event)["previous_unit"] == "301"


async def test_a_refused_room_change_is_said_in_the_question_and_can_be_fixed(hotel_registry, make_app,
                                                                             seed_guests, screen_text):
    [guest] = seed_guests(hotel_registry, 1)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_person(app, pilot, "301")
        await pilot.press("ctrl+t", "3", "0", "1", "enter", "enter")  # the room the guest is in already
        await _settle(app, pilot)
        assert isinstance(app.screen, StayChangeModal)
        assert "已经住在 301" in screen_text(app)
        assert app.focused is not None and app.focused.id == "change-value"
        await pilot.press("backspace", "2", "enter", "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, PersonScreen)
    assert [v.unit for v in hotel_registry.registrations() if v.id == guest] == ["302"]


async def test_an_extension_reads_the_new_end_and_refuses_a_past_one(hotel_registry, make_app, seed_guests,
                                                                    screen_text):
    [guest] = seed_guests(hotel_registry, 1)
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_person(app, pilot, "301")
        await pilot.press("ctrl+e")
        await _settle(app, pilot)
        assert "Extend the stay" in screen_text(app)
        await pilot.press(*"2025-13-01", "enter")  # no such month: said, the cursor stays
        assert app.focused is not None and app.focused.id == "change-value"
        assert _sees(screen_text, app, "it must exist")
        for _ in range(10):
            await pilot.press("backspace")
        await pilot.press(*"2025-05-01 12:00", "enter", "enter")  # already past
        await _settle(app, pilot)
        assert _sees(screen_text, app, "has already passed")
        for _ in range(16):
            await pilot.press("backspace")
        await pilot.press(*"2025-05-04 12:00", "enter", "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "2025-05-04 12:00" in screen_text(app)
    [stay] = [v for v in hotel_registry.registrations() if v.id == guest]
    assert stay.expected_departure == datetime(2025, 5, 4, 12, 0, tzinfo=CHINA_TIME)
    assert len(_events(hotel_registry, "stay_extension")) == 1


async def test_esc_asks_before_throwing_away_what_was_typed(hotel_registry, make_app, seed_guests):
    seed_guests(hotel_registry, 1)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_person(app, pilot, "301")
        await pilot.press("ctrl+t", "escape")  # nothing typed: closes at once
        await _settle(app, pilot)
        assert isinstance(app.screen, PersonScreen)
        await pilot.press("ctrl+t", "5", "escape")
        await _settle(app, pilot)
        assert isinstance(app.screen, DiscardModal)
        await pilot.press("enter")  # the safe answer: keep typing
        assert isinstance(app.screen, StayChangeModal)
        await pilot.press("escape", "y")
        await _settle(app, pilot)
        assert isinstance(app.screen, PersonScreen)
    assert not _events(hotel_registry, "unit_change")


async def test_someone_who_left_gets_no_change_buttons(hotel_registry, make_app, seed_guests, screen_text):
    [guest] = seed_guests(hotel_registry, 1)
    hotel_registry.depart(guest)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_person(app, pilot, "301")
        assert not app.screen.query("#change-room")
        await pilot.press("ctrl+t")
        await _settle(app, pilot)
        assert isinstance(app.screen, PersonScreen)

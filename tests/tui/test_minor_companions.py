"""A minor checked in to a room where adults are already registered: the register form asks which of them
accompany the minor and how they are related (the payload's `companions`), in a small question; without
an adult in the room the form's "guardian contacted" field applies. Real store, the screens' clock."""

from __future__ import annotations

import pytest
from sqlmodel import select

from agent.cli.demo_people import sample_registration
from agent.store.models import Event
from agent.validation.resident_id import calc_check_digit
from tests.tui.conftest import sees as _sees
from tests.tui.conftest import settle as _settle
from tui.screens.companions_modal import CompanionsModal
from tui.screens.register_screen import RegisterScreen

CHILD = "110105201203150" + "02"  # born 2012-03-15: 13 on the arrival day (2025-05-01)
CHILD += calc_check_digit(CHILD)


@pytest.fixture
def hotel_registry(hotel_registry_at_now):  # type: ignore[no-untyped-def]
    return hotel_registry_at_now


def _field(app, key: str):  # type: ignore[no-untyped-def]
    return app.screen.query_one("#f-" + key.replace(".", "--"))


async def _child_in_room(app, pilot, unit: str) -> RegisterScreen:  # type: ignore[no-untyped-def]
    """The form, the child's ID number, name, the guardian's contact and the room, typed."""
    await pilot.press("f2")
    await _settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, RegisterScreen)
    _field(app, "person.doc_number").focus()
    await pilot.press(*CHILD)
    _field(app, "person.name").focus()
    await pilot.press(*"王小明")
    _field(app, "guardian_contact.name").focus()
    await pilot.press(*"王大明")
    _field(app, "guardian_contact.phone").focus()
    await pilot.press(*"13912345678")
    _field(app, "unit").focus()
    await pilot.press(*unit)
    await _settle(app, pilot)
    return screen


@pytest.mark.parametrize(("lang", "size"), [("zh", (80, 24)), ("en", (60, 20))], ids=["zh-80x24", "en-60x20"])
async def test_a_minor_joins_the_mother_in_her_room(hotel_registry, make_app, screen_text, lang, size):
    say = (lambda zh, en: en if lang == "en" else zh)
    mother = sample_registration(3, "stay", "2025-05-01 10:00", unit="305")
    assert hotel_registry.register(mother).ok
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        screen = await _child_in_room(app, pilot, "305")
        row = screen.query_one("#row-companions")
        assert row.display
        await pilot.press("enter")  # from the room to the companions' button
        assert app.focused is not None and app.focused.id == "companions"
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, CompanionsModal)
        assert _sees(screen_text, app, mother["person"]["name"])
        assert mother["person"]["doc_number"] not in screen_text(app)  # masked
        await pilot.press("space", "down", "enter")  # open the relations, down to 父母 / Parent, pick
        await pilot.press("enter")  # to 确定
        assert app.focused is not None and app.focused.id == "companions-done"
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert _sees(screen_text, app, say(f"{mother['person']['name']}（父母）", f"{mother['person']['name']} (Parent)"))
        assert screen.form.companions == [{"doc_number": mother["person"]["doc_number"], "relation": "parent"}]
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert not isinstance(app.screen, RegisterScreen), screen_text(app)
    with hotel_registry.store.read() as session:
        event = session.exec(select(Event).order_by(Event.seq.desc())).first()  # type: ignore[attr-defined]
    data = hotel_registry.event_payload(event)
    assert data["person"]["name"] == "王小明"
    assert data["companions"] == [{"doc_number": mother["person"]["doc_number"], "relation": "parent"}]
    assert "minor_unaccompanied" not in data.get("flags", [])


async def test_without_an_adult_in_the_room_the_guardian_contacted_field_applies(hotel_registry, make_app,
                                                                                 screen_text):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _child_in_room(app, pilot, "306")
        assert not screen.query_one("#row-companions").display
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert app.focused is _field(app, "guardian_contacted")  # the form points at it
        assert _sees(screen_text, app, "须先联系其监护人")
        assert hotel_registry.registrations() == []


async def test_an_adult_is_not_asked_about_companions(hotel_registry, make_app):
    assert hotel_registry.register(sample_registration(3, "stay", "2025-05-01 10:00", unit="305")).ok
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await _settle(app, pilot)
        _field(app, "person.doc_number").focus()
        await pilot.press(*"11010519491231002X")
        _field(app, "unit").focus()
        await pilot.press(*"305")
        await _settle(app, pilot)
        assert not app.screen.query_one("#row-companions").display


async def test_esc_in_the_companions_question_asks_when_a_choice_changed(hotel_registry, make_app):
    from tui.screens.discard_modal import DiscardModal

    assert hotel_registry.register(sample_registration(3, "stay", "2025-05-01 10:00", unit="305")).ok
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _child_in_room(app, pilot, "305")
        await pilot.press("enter", "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, CompanionsModal)
        await pilot.press("space", "down", "enter", "escape")
        await _settle(app, pilot)
        assert isinstance(app.screen, DiscardModal)
        await pilot.press("y")
        await _settle(app, pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert screen.form.companions == []

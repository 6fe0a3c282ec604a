"""Departure (find by name, unit or last digits; one key to check out) and the people list with details."""

from __future__ import annotations

import pytest
from sqlmodel import select

from agent.domain import CHINA_TIME
from agent.store import audit
from agent.store.models import Event
from tui.messages import Departed
from tui.screens.departure_modal import DepartureModal
from tui.screens.departure_screen import DepartureScreen
from tui.screens.people_screen import PeopleScreen
from tui.screens.person_screen import PersonScreen
from tui.widgets.people_table import PeopleTable


@pytest.fixture
def hotel_registry(hotel_registry_at_now):  # type: ignore[no-untyped-def]
    """Check-outs here go through the screens: the register is on their clock (tests/tui/conftest.py)."""
    return hotel_registry_at_now


async def _search(app, pilot, text: str) -> PeopleTable:
    box = app.screen.query_one("#search")
    box.value = text
    await pilot.pause()
    return app.screen.query_one(PeopleTable)


@pytest.mark.parametrize("how", ["unit", "name", "digits"])
async def test_find_check_and_confirm_a_check_out(hotel_registry, make_app, seed_guests, screen_text, how):
    ids = seed_guests(hotel_registry, 4)
    target = next(v for v in hotel_registry.registrations() if v.id == ids[2])  # room 303
    text = {"unit": "303", "name": target.name, "digits": target.doc_masked[-4:]}[how]
    messages: list[object] = []
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DepartureScreen)
        table = await _search(app, pilot, text)
        assert table.row_count >= 1 and table.selected().id == target.id
        await pilot.press("enter")  # from the search box down to the list
        assert app.focused is table
        await pilot.press("enter")  # the person: the question names them and offers the time
        await pilot.pause()
        assert isinstance(app.screen, DepartureModal) and target.name in screen_text(app)
        assert target.doc_masked in screen_text(app) and "303" in screen_text(app)
        await pilot.press("enter", "enter")  # the time as offered, then Enter on the focused 确认离开
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any(isinstance(m, Departed) and m.registration_id == target.id for m in messages)
        assert target.id not in table.views
    present = [v.id for v in hotel_registry.registrations(present_only=True)]
    assert target.id not in present and len(present) == 3
    with hotel_registry.store.read() as session:
        kinds = [e.type for e in session.exec(select(Event).order_by(Event.seq))]
    assert kinds[-1] == "departure" and hotel_registry.outbox_counts()["pending"] == 5


async def test_departure_lists_only_people_present(hotel_registry, make_app, seed_guests, screen_text):
    ids = seed_guests(hotel_registry, 3)
    hotel_registry.depart(ids[0])
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(PeopleTable)
        assert set(table.views) == set(ids[1:])
        assert "在住 2 人，找到 2 人" in screen_text(app)


async def test_people_lists_present_and_past_and_opens_details_with_history(hotel_registry, make_app,
                                                                          seed_guests, screen_text):
    from agent.cli.demo_people import sample_registration

    [first, second] = seed_guests(hotel_registry, 2)
    hotel_registry.depart(first)
    again = hotel_registry.register(sample_registration(0, "stay", "2025-05-01 12:00", unit="308"))
    assert again.ok
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PeopleScreen)
        table = app.screen.query_one(PeopleTable)
        assert table.row_count == 3
        assert "present" in screen_text(app)
        await pilot.press("f7")  # present only
        await pilot.pause()
        assert table.row_count == 2
        await pilot.press("f7")
        table = await _search(app, pilot, "308")
        assert table.row_count == 1
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)
        text = screen_text(app)
        assert "Registrations here (2)" in text and "308" in text and "301" in text
        assert "********" in text  # the number is masked
        await app.workers.wait_for_complete()
        shown = app.screen.view.id
        await pilot.press("escape")
        assert isinstance(app.screen, PeopleScreen)
    looked = audit.entries(hotel_registry.store)[-1]
    assert (looked.action, looked.registration_id) == ("inspect", shown)  # a look at one person is audited


async def test_the_check_out_question_can_be_left_and_takes_an_earlier_time(hotel_registry, make_app, seed_guests,
                                                                           screen_text):
    ids = seed_guests(hotel_registry, 2)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await _search(app, pilot, "301")
        await pilot.press("enter", "enter")  # to the list, then the person
        await pilot.pause()
        assert isinstance(app.screen, DepartureModal)
        await pilot.press("escape")  # a stray Enter: Esc takes it back, nothing written
        await pilot.pause()
        assert isinstance(app.screen, DepartureScreen)
        assert len(hotel_registry.registrations(present_only=True)) == 2
        await pilot.press("enter")
        await pilot.pause()
        time_field = app.screen.query_one("#departure-at")
        time_field.value = "2025-05-01 2 点"  # not a time: said beside the field, nothing written
        await pilot.press("enter")
        await pilot.pause()
        assert "请写日期" in screen_text(app) and isinstance(app.screen, DepartureModal)
        time_field.value = "2025年5月1日 12:15"  # the guest left before the clerk got to it
        await pilot.press("enter", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DepartureScreen)
    [left] = [v for v in hotel_registry.registrations() if v.id == ids[0]]
    assert left.departed_at is not None
    assert left.departed_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") == "2025-05-01 12:15"

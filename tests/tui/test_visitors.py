"""The visitor screen: F12 (or the home menu), a visitor registered by typing or by a card on the reader,
the host found among the people present, the list of visitors in with the closing time, and a visitor's
leaving confirmed with Enter on the focused button. Real store, the screens' clock."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from agent.cli.demo_people import resident_id_for
from agent.domain import CHINA_TIME
from agent.home.config import load_config, save_config
from tests.tui.conftest import sees as _sees
from tests.tui.conftest import settle as _settle
from tests.tui.conftest import until_drawn
from tui.screens.discard_modal import DiscardModal
from tui.screens.home_screen import HomeScreen
from tui.screens.visit_end_modal import VisitEndModal
from tui.screens.visitor_form_screen import VisitorFormScreen
from tui.screens.visitor_screen import VisitorsScreen

SIZES = [(80, 24), (60, 20)]


@pytest.fixture
def hotel_registry(hotel_registry_at_now):  # type: ignore[no-untyped-def]
    return hotel_registry_at_now


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "60x20"])
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_visitor_is_typed_in_visits_a_guest_found_by_room_and_leaves(
        hotel_registry, make_app, seed_guests, screen_text, lang, size):
    say = (lambda zh, en: en if lang == "en" else zh)
    [_, host] = seed_guests(hotel_registry, 2)
    number, _, _ = resident_id_for(40)
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f12")
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitorsScreen)
        assert _sees(screen_text, app, say("访客须在 23:00 前离开", "Visitors leave by 23:00"))
        await pilot.press("enter")  # on 登记访客, focused
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitorFormScreen)
        await pilot.press(*number, "enter")
        await pilot.press(*"赵访客", "enter")
        assert app.focused is not None and app.focused.id == "v-sex"
        await pilot.press("enter", "enter", "enter")  # sex (from the number), phone, the time: now
        assert app.focused is not None and app.focused.id == "host-search"
        await pilot.press("3", "0", "2", "enter", "enter")  # the room, to the list, the guest picked
        assert app.focused is not None and app.focused.id == "save-visit"
        assert _sees(screen_text, app, say("被访人：302", "Visiting: 302"))
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitorsScreen)
        assert await until_drawn(app, pilot, "赵访客"), screen_text(app)
        assert number not in screen_text(app)  # the number masked
        assert _sees(screen_text, app, say("现在在访 1 人", "In now: 1"))
        [visit] = hotel_registry.visits(in_only=True)
        assert (visit.host_registration_id, visit.name) == (host, "赵访客")
        await pilot.press("tab", "enter")  # to the list, Enter on the visitor: the question
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitEndModal)
        assert _sees(screen_text, app, "赵访客")
        await pilot.press("enter")  # the time is now: to the button
        assert app.focused is not None and app.focused.id == "visit-end-confirm"
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitorsScreen)
        assert _sees(screen_text, app, say("现在在访 0 人", "In now: 0"))
    assert hotel_registry.visits(in_only=True) == []
    [visit] = hotel_registry.visits()
    assert visit.left_at is not None


async def test_the_home_menu_opens_the_visitors_and_saving_without_a_host_says_what_to_do(
        hotel_registry, make_app, seed_guests, screen_text):
    seed_guests(hotel_registry, 1)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "访客  F12" in screen_text(app)
        await pilot.press("up", "enter")  # the last entry of the menu
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitorsScreen)
        await pilot.press("ctrl+n")
        await _settle(app, pilot)
        await pilot.press(*"110105194912310029", "ctrl+s")
        await _settle(app, pilot)
        assert _sees(screen_text, app, "请选择被访人")
        assert app.focused is not None and app.focused.id == "host-search"
        await pilot.press("escape")  # something was typed: asks first
        await _settle(app, pilot)
        assert isinstance(app.screen, DiscardModal)
        await pilot.press("y")
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitorsScreen)
        await pilot.press("ctrl+n", "escape")  # nothing typed: back at once
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitorsScreen)
    assert hotel_registry.visits() == []


async def test_a_refused_visitor_is_said_at_the_field(hotel_registry, make_app, seed_guests, screen_text):
    seed_guests(hotel_registry, 1)
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await _settle(app, pilot)
        await pilot.press("enter")
        await _settle(app, pilot)
        await pilot.press(*"110105194912310028", "enter")  # the check character is wrong
        await pilot.press(*"Ann", "enter", "enter", "enter", "enter")
        await pilot.press("3", "0", "1", "enter", "enter", "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, VisitorFormScreen)
        assert app.focused is not None and app.focused.id == "v-doc_number"
        assert _sees(screen_text, app, "check")
    assert hotel_registry.visits() == []


if os.name == "posix":
    from agent.cardreader.simulated import SimulatedReader
    from tests.cardreader.conftest import stub, stub_library_path  # noqa: F401 - the vendor library's stub

    @pytest.fixture
    def simulator(tmp_path: Path):  # type: ignore[no-untyped-def]
        with SimulatedReader(link=tmp_path / "usb-reader").start() as simulated:  # a path of this test's own
            yield simulated

    @pytest.fixture
    def reader_port(private_home: Path, simulator) -> str:  # type: ignore[no-untyped-def]
        save_config(private_home, replace(load_config(private_home), reader_port=simulator.port))
        return simulator.port

    @pytest.mark.parametrize(("lang", "size"), [("zh", (80, 24)), ("en", (60, 20))])
    async def test_a_card_on_the_reader_fills_the_visitor(hotel_registry, make_app, seed_guests, reader_port,
                                                          simulator, screen_text, lang, size):
        from agent.cardreader.samples import SAMPLE_CARDS

        seed_guests(hotel_registry, 1)
        card = SAMPLE_CARDS["resident_id"]
        app = make_app(hotel_registry, lang=lang)
        async with app.run_test(size=size) as pilot:
            await pilot.press("f12")
            await _settle(app, pilot)
            await pilot.press("enter")
            await _settle(app, pilot)
            assert await app.card_reading.settled()
            simulator.place_card("resident_id")
            assert await app.card_reading.wait_for(lambda: app.card_reading.cards_read >= 1)
            await _settle(app, pilot)
            assert app.screen.query_one("#v-name").value == "韩梅梅"
            assert app.screen.query_one("#v-doc_number").value == card.doc_number
            assert app.focused is not None and app.focused.id == "host-search"
            await pilot.press("3", "0", "1", "enter", "enter", "enter")
            await _settle(app, pilot)
            assert isinstance(app.screen, VisitorsScreen)
            assert await until_drawn(app, pilot, "韩梅梅"), screen_text(app)
        [visit] = hotel_registry.visits(in_only=True)
        assert visit.name == "韩梅梅"


async def test_the_menu_offers_visitors_where_the_venue_records_them(private_home, make_app, screen_text):
    """A hotel opened as the desk opens it (the store after the first frame) gets Visitors F12 in its
    menu; a landlord's menu stays as it was, and F12 there says why nothing opens."""
    from agent.cli.terminal_ui import tui_app
    from agent.register.registry import Registry
    from agent.store.opening import open_store
    from agent.validation.venue import VenueDetails

    store = open_store(private_home, create=True)
    registry = Registry(store)
    registry.set_venue(VenueDetails(kind="hotel", name="测试宾馆"))
    store.dispose()
    app = tui_app(private_home, "zh")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):  # the sender's worker runs as long as the app: not waited for
            running = [w for w in app.workers if w.group != "delivery" and not w.is_finished]
            await asyncio.gather(*(w.wait() for w in running), return_exceptions=True)
            await pilot.pause()
        assert "访客  F12" in screen_text(app)

    store = open_store(private_home)
    registry = Registry(store)
    registry.set_venue(VenueDetails(kind="rental", name="幸福公寓"))
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        assert "访客" not in screen_text(app)
        await pilot.press("f12")
        await _settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
    store.dispose()


@pytest.mark.parametrize(("lang", "size"), [("zh", (80, 24)), ("en", (60, 20))])
async def test_after_midnight_the_list_says_who_is_past_closing(private_home, seed_guests, screen_text, lang,
                                                               size):
    """Past midnight the clock reads 00:40, earlier than 23:00, yet the evening's visitor is past closing
    and one who came at 00:30 came after hours: the list counts both and marks their times (the rule of
    the reminders: a visiting day runs from 06:00), and home names the reminder."""
    from agent.cli.demo_people import sample_person
    from agent.register.registry import Registry
    from agent.store.opening import open_store
    from agent.validation.venue import VenueDetails
    from tui.app import DengjiApp
    from tui.clock import fixed_clock
    from tui.preferences import Preferences
    from tui.session import TuiSession

    say = (lambda zh, en: en if lang == "en" else zh)
    night = datetime(2025, 5, 2, 0, 40, tzinfo=CHINA_TIME)
    store = open_store(private_home, create=True)
    registry = Registry(store, clock=fixed_clock(night))
    registry.set_venue(VenueDetails(kind="hotel", name="测试宾馆"))
    [host] = seed_guests(registry, 1)
    for n, came in ((40, "2025-05-01 22:00"), (41, "2025-05-02 00:30")):
        assert registry.visit({"visitor": sample_person(n), "host": host, "arrived_at": came}).ok
    session = TuiSession(home=private_home, registry=registry, lang=lang, clock=fixed_clock(night),
                         preferences=Preferences())
    session.venue = registry.venue()
    app = DengjiApp(session)
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.press("f12")
            await _settle(app, pilot)
            assert isinstance(app.screen, VisitorsScreen)
            assert _sees(screen_text, app,
                         say("其中 2 人已过 23:00，请登记离开", "2 of them past 23:00: record their leaving"))
            assert app.screen.late == {visit.id for visit in registry.visits(in_only=True)}
            assert registry.end_visit(min(app.screen.late), at=night).ok
            app.screen.load()
            await _settle(app, pilot)
            assert _sees(screen_text, app, say("其中 1 人已过 23:00", "1 of them past 23:00"))
            await pilot.press("escape")  # home: the reminder by its words, with the count
            await _settle(app, pilot)
            assert isinstance(app.screen, HomeScreen)
            assert _sees(screen_text, app, say("· 访客过了离开时间 1", "· Visitor past closing 1"))
    finally:
        store.dispose()

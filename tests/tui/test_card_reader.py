"""The ID card reader in the TUI (issue 19, item 5): a card laid on the reader fills the register form or
finds its holder at check-out; the reader's state shows beside the scan box; unplugging it is a message.

Every test runs the real driver against the simulated reader on a real pseudo-terminal, named in the
home's config.toml as an operator would (`reader_port`); nothing is mocked. Waiting is on conditions
(the app's `card_reading.wait_for`, the app's workers), never on the clock.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agent.cardreader.frames import Command
from agent.cardreader.samples import SAMPLE_CARDS, sample_text
from agent.cli.demo_people import sample_registration
from agent.home.config import load_config, save_config
from tests.tui.conftest import ARRIVED
from tui.card_reading import ReaderState
from tui.screens.departure_screen import DepartureScreen
from tui.screens.register_screen import RegisterScreen
from tui.widgets.people_table import PeopleTable

if TYPE_CHECKING:
    from agent.register.registry import Registry

if os.name != "posix":
    pytest.skip("the simulated reader needs a POSIX pseudo-terminal", allow_module_level=True)

from agent.cardreader.simulated import Fault, SimulatedReader  # noqa: E402 - POSIX only
from tests.cardreader.conftest import stub, stub_library_path  # noqa: E402, F401 - the vendor library's stub

SIZES = [("zh", (80, 24)), ("en", (60, 20))]
WORDS = {  # what the status beside the scan box says
    "connected": {"zh": "读卡器：已连接", "en": "Reader: connected"},
    "reading": {"zh": "读卡器：正在读卡", "en": "Reader: reading"},
    "gone": {"zh": "读卡器已断开", "en": "Reader unplugged"},
    "absent": {"zh": "无读卡器", "en": "No reader"},
}


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[SimulatedReader]:
    """A simulated reader at the real wire rate (115200 baud), as a desk's reader answers, at a path of
    this test's own (as `/dev/serial/by-id/` names a USB reader): once it is unplugged, the desk looking
    for it again cannot find another test's reader at a reused `/dev/pts/N`."""
    with SimulatedReader(link=tmp_path / "usb-reader").start() as simulated:
        yield simulated


@pytest.fixture
def reader_port(private_home: Path, simulator: SimulatedReader) -> str:
    """The simulator's pty named in config.toml (`reader_port`), as an operator names a reader's port."""
    save_config(private_home, replace(load_config(private_home), reader_port=simulator.port))
    return simulator.port


def _field(app, key: str):  # type: ignore[no-untyped-def]
    return app.screen.query_one("#f-" + key.replace(".", "--"))


async def _open_form(app, pilot) -> RegisterScreen:  # type: ignore[no-untyped-def]
    """F2 from home, then wait until the reader has been opened (or found absent)."""
    await pilot.press("f2")
    await app.workers.wait_for_complete()
    screen = app.screen
    assert isinstance(screen, RegisterScreen)
    assert await app.card_reading.settled()
    await pilot.pause()
    return screen


async def _lift(simulator: SimulatedReader) -> None:
    """Lift the card and wait until the driver has seen the reader empty (two rounds without a card)."""
    simulator.lift_card()
    finds = simulator.count(Command.FIND_CARD)
    assert await asyncio.to_thread(simulator.wait_for_command, Command.FIND_CARD, finds + 3)


async def _card_read(app, pilot, count: int = 1) -> None:  # type: ignore[no-untyped-def]
    assert await app.card_reading.wait_for(lambda: app.card_reading.cards_read >= count)
    await pilot.pause()


@pytest.mark.parametrize(("lang", "size"), SIZES)
async def test_a_card_on_the_reader_fills_the_form_and_enter_on_save_checks_in(
        hotel_registry, make_app, reader_port, simulator, screen_text, lang, size):
    card = SAMPLE_CARDS["resident_id"]
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        screen = await _open_form(app, pilot)
        assert app.card_reading.state is ReaderState.CONNECTED
        assert WORDS["connected"][lang] in screen_text(app)
        simulator.place_card("resident_id")
        await _card_read(app, pilot)
        form = screen.form
        assert form.value("person.doc_type") == "resident_id"
        assert _field(app, "person.doc_number").value == card.doc_number
        assert _field(app, "person.name").value == "韩梅梅"
        assert form.value("person.sex") == "F"
        assert _field(app, "person.ethnicity").value == ("Han" if lang == "en" else "汉族")
        assert _field(app, "person.birth_date").value == "1990-03-07"
        assert _field(app, "person.address").value == card.address
        assert app.focused is _field(app, "unit")  # the first required field the card left empty
        assert "韩梅梅" in screen_text(app)
        # After the read: the room, then Enter from field to field and on the focused Save button.
        keys = ["5", "0", "1", "enter", "enter", "enter"]
        await pilot.press(*keys)
        assert app.focused is screen.query_one("#save")
        keys.append("enter")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RegisterScreen)
        assert len(keys) == 7 <= 10  # issue 19: at most 10 keystrokes from a card read to a check-in
    [view] = hotel_registry.registrations()
    assert (view.doc_type, view.name, view.unit, view.sex) == ("resident_id", "韩梅梅", "501", "F")
    [found] = hotel_registry.find_by_document("resident_id", card.doc_number)
    assert found.id == view.id


@pytest.mark.parametrize(("lang", "size"), SIZES)
async def test_a_card_then_the_room_and_ctrl_s_is_four_keys(hotel_registry, make_app, reader_port, simulator,
                                                            lang, size):
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        await _open_form(app, pilot)
        simulator.place_card("hmt_residence_permit")
        await _card_read(app, pilot)
        assert app.screen.form.value("person.doc_type") == "hmt_residence_permit"
        assert app.focused is _field(app, "unit")
        await pilot.press("5", "0", "2", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RegisterScreen)
    [view] = hotel_registry.registrations()
    assert (view.doc_type, view.name, view.unit) == ("hmt_residence_permit", "陈大文", "502")


async def test_a_foreigners_card_fills_the_nationality_and_the_english_name(hotel_registry, make_app,
                                                                             reader_port, simulator):
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        simulator.place_card("foreign_permanent_2017")
        await _card_read(app, pilot)
        assert screen.form.value("person.doc_type") == "foreign_permanent_id"
        assert _field(app, "person.name").value == "DOE, JANE"
        assert _field(app, "person.nationality").value == "United Kingdom"  # by name, in English here
        assert _field(app, "person.nationality").display
        assert app.focused is _field(app, "unit")


async def test_a_second_card_replaces_the_first_persons_fields(hotel_registry, make_app, reader_port, simulator):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        simulator.place_card("resident_id")
        await _card_read(app, pilot)
        await _lift(simulator)
        simulator.place_card("foreign_permanent_2023")
        await _card_read(app, pilot, 2)
        assert _field(app, "person.name").value == "马丁"
        assert screen.form.value("person.address") == ""  # the first person's address is not kept
        assert screen.form.value("person.ethnicity") == ""


@pytest.mark.parametrize(("lang", "size"), SIZES)
async def test_an_expired_card_is_refused_for_a_stay(hotel_registry, make_app, reader_port, simulator,
                                                     screen_text, lang, size):
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        screen = await _open_form(app, pilot)
        simulator.place_card("resident_id_expired")
        await _card_read(app, pilot)
        assert screen.form.value("person.doc_number") == ""
        assert screen.form.value("person.name") == ""
        shown = screen_text(app)
        assert ("expired on 2015-08-15" if lang == "en" else "已过期（有效期至 2015-08-15）") in shown


@pytest.mark.parametrize(("lang", "size"), SIZES)
async def test_the_status_says_reading_while_a_card_is_read(hotel_registry, make_app, private_home, screen_text,
                                                           lang, size):
    with SimulatedReader(card_seconds=0.4).start() as simulator:  # a reader that takes its time over the card
        save_config(private_home, replace(load_config(private_home), reader_port=simulator.port))
        app = make_app(hotel_registry, lang=lang)
        async with app.run_test(size=size) as pilot:
            await _open_form(app, pilot)
            simulator.place_card("resident_id")
            assert await app.card_reading.wait_for(lambda: app.card_reading.state is ReaderState.READING)
            await pilot.pause()
            assert WORDS["reading"][lang] in screen_text(app)
            await _card_read(app, pilot)
            assert WORDS["connected"][lang] in screen_text(app)
            assert app.screen.form.value("person.name") == "韩梅梅"


async def test_a_card_lifted_mid_read_says_so_and_the_next_placement_is_read(hotel_registry, make_app, reader_port,
                                                                            simulator, screen_text):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        simulator.fault(Fault.CARD_LIFTED, times=1)
        simulator.place_card("resident_id")
        assert await app.card_reading.wait_for(lambda: "拿开" in str(screen.query_one("#form-message").render()))
        assert screen.form.value("person.doc_number") == ""
        simulator.place_card("resident_id")  # placed again
        await _card_read(app, pilot)
        assert screen.form.value("person.name") == "韩梅梅"


@pytest.mark.parametrize(("lang", "size"), SIZES)
async def test_unplugging_the_reader_is_a_message_and_typing_goes_on(hotel_registry, make_app, reader_port,
                                                                    simulator, screen_text, lang, size):
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        screen = await _open_form(app, pilot)
        await pilot.press("enter", "enter", "enter", *"wang")  # from the empty scan box to the name, by hand
        simulator.unplug()
        assert await app.card_reading.wait_for(lambda: app.card_reading.state is ReaderState.GONE)
        await pilot.pause()
        shown = screen_text(app)
        assert WORDS["gone"][lang] in shown
        [note] = app._notifications  # noqa: SLF001
        assert note.message == ("The card reader was unplugged: plug its USB cable back in and it reconnects by "
                                "itself. Meanwhile, type by hand" if lang == "en" else
                                "读卡器断开了：请插好 USB 线，插好后会自动重新连接；在此之前请手工录入")
        await pilot.press(*"wei")
        assert _field(app, "person.name").value == "wangwei"  # typing was never held up
        assert screen.is_current and app.is_running


async def test_no_reader_named_and_none_found_says_no_reader(hotel_registry, make_app, screen_text):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        if app.card_reading.state is ReaderState.CONNECTED:  # pragma: no cover - a real reader on this machine
            pytest.skip("a real reader answers on this machine")
        assert WORDS["absent"]["zh"] in screen_text(app)
        assert not app._notifications  # noqa: SLF001 - many venues have no reader: nothing to warn about


async def test_a_named_port_with_no_reader_says_what_to_do(hotel_registry, make_app, private_home, screen_text):
    save_config(private_home, replace(load_config(private_home), reader_port=str(private_home / "ttyUSB9")))
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        assert app.card_reading.state is ReaderState.ABSENT
        assert WORDS["absent"]["en"] in screen_text(app)
        [note] = app._notifications  # noqa: SLF001
        assert "there is no port" in note.message and "plug the reader in" in note.message


@pytest.mark.parametrize(("lang", "size"), SIZES)
async def test_a_card_on_the_reader_at_check_out_finds_the_guest(hotel_registry_at_now, make_app, reader_port,
                                                                  simulator, screen_text, lang, size):
    hotel_registry = hotel_registry_at_now  # checked out through the screen: the register on the screen's clock
    card = SAMPLE_CARDS["resident_id"]
    other = hotel_registry.register(sample_registration(0, "stay", ARRIVED, unit="301"))
    payload = sample_registration(1, "stay", ARRIVED, unit="302")
    payload["person"] = {**payload["person"], **card.person_fields()}
    guest = hotel_registry.register(payload)
    assert other.ok and guest.ok, (other.problems, guest.problems)
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, DepartureScreen)
        assert await app.card_reading.settled()
        await pilot.pause()
        assert WORDS["connected"][lang] in screen_text(app)
        simulator.place_card("resident_id")
        await _card_read(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#present", PeopleTable)
        assert app.focused is table and table.selected().id == guest.registration_id
        assert ("Found 302" if lang == "en" else "找到 302") in screen_text(app)
        await pilot.press("enter")  # the person, then the time as offered, then Enter on the focused 确认离开
        await pilot.pause()
        await pilot.press("enter", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    present = [v.id for v in hotel_registry.registrations(present_only=True)]
    assert present == [other.registration_id]


async def test_a_reader_plugged_back_in_is_opened_again(hotel_registry, make_app, private_home, reader_port,
                                                        simulator, screen_text):
    """After an unplug the reader is looked for again: here it comes back at the same path (a USB
    reader's name under /dev/serial/by-id/), and is opened by itself."""
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        simulator.unplug()
        assert await app.card_reading.wait_for(lambda: app.card_reading.state is ReaderState.GONE)
        with SimulatedReader(link=simulator.link).start() as plugged_in:
            assert plugged_in.port == reader_port
            assert await app.card_reading.wait_for(lambda: app.card_reading.state is ReaderState.CONNECTED)
            await pilot.pause()
            assert WORDS["connected"]["en"] in screen_text(app)
            assert "The card reader is back" in list(app._notifications)[-1].message  # noqa: SLF001
            plugged_in.place_card("resident_id")
            await _card_read(app, pilot)
            assert screen.form.value("person.name") == "韩梅梅"


async def test_the_status_follows_a_language_switch(hotel_registry, make_app, reader_port, simulator, screen_text):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        assert WORDS["connected"]["zh"] in screen_text(app)
        await pilot.press("f9")
        await pilot.pause()
        assert WORDS["connected"]["en"] in screen_text(app)
        simulator.place_card("resident_id")  # the rebuilt screen still gets the cards
        await _card_read(app, pilot)
        assert screen.form.value("person.ethnicity") == "Han"
        assert len(app.card_reading._listeners) == 1  # noqa: SLF001 - the old status widget let go


async def test_a_question_over_the_form_holds_the_card_until_it_is_answered(hotel_registry, make_app, reader_port,
                                                                          simulator):
    """While a question covers the form (Esc's "discard?"), a card laid on the reader is not read into the
    form behind it; once the question is answered with "keep editing", the card is read."""
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        await pilot.press("enter", "enter", "enter", *"li")  # something typed: Esc asks first
        await pilot.press("escape")
        assert app.screen is not screen
        simulator.place_card("resident_id")
        finds = simulator.count(Command.FIND_CARD)
        assert not await asyncio.to_thread(simulator.wait_for_command, Command.FIND_CARD, finds + 1, 0.5)
        assert app.card_reading.state is ReaderState.CONNECTED  # the reader stays open meanwhile
        await pilot.press("enter")  # Enter on the focused 继续填写
        assert app.screen is screen
        await _card_read(app, pilot)
        assert screen.form.value("person.name") == "韩梅梅"


@pytest.fixture
def rental_registry(private_home: Path) -> Iterator[Registry]:
    """A landlord's store (a rental venue) and its register."""
    from agent.register.registry import Registry
    from agent.store.opening import open_store
    from agent.validation.venue import VenueDetails

    store = open_store(private_home, create=True)
    registry = Registry(store)
    registry.set_venue(VenueDetails(kind="rental", name="幸福小区"))
    yield registry
    store.dispose()


@pytest.mark.parametrize(("lang", "size"), SIZES)
async def test_at_a_rental_the_card_fills_the_form_the_phone_is_next_and_expiry_is_a_warning(
        rental_registry, make_app, reader_port, simulator, lang, size):
    app = make_app(rental_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        screen = await _open_form(app, pilot)
        simulator.place_card("resident_id_expired")
        await _card_read(app, pilot)
        assert _field(app, "person.name").value == "李雷"
        assert app.focused is _field(app, "person.phone")  # a tenant's phone is required: it comes next
        [note] = app._notifications  # noqa: SLF001
        assert ("expired on 2015-08-15" if lang == "en" else "已过期（有效期至 2015-08-15）") in note.message
        assert screen.form.value("person.address") == SAMPLE_CARDS["resident_id_expired"].address


async def test_a_card_read_through_the_vendors_library_fills_the_form(hotel_registry, make_app, private_home, stub,
                                                                      stub_library_path, screen_text):
    """The same screens with the other backend: the vendor's sdtapi library (a stub compiled from C for
    this run, tests/cardreader/stub_sdtapi.c), chosen in config.toml."""
    save_config(private_home, replace(load_config(private_home), reader_backend="library",
                                      reader_library_path=str(stub_library_path)))
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        assert WORDS["connected"]["en"] in screen_text(app)
        stub.stub_place_card(sample_text("foreign_permanent_2023"))
        await _card_read(app, pilot)
        assert screen.form.value("person.doc_type") == "foreign_permanent_id"
        assert _field(app, "person.name").value == "马丁"
        assert _field(app, "person.nationality").value == "France"  # by name, in English here
        await pilot.press("6", "0", "1", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RegisterScreen)
    [view] = hotel_registry.registrations()
    assert (view.doc_type, view.name, view.unit) == ("foreign_permanent_id", "马丁", "601")


async def test_a_card_laid_on_the_reader_at_home_opens_the_form_or_the_check_out(hotel_registry, make_app,
                                                                                reader_port, simulator):
    """At the home screen a card does what a swipe does: the register form, filled, for someone new;
    the check-out, with that person chosen, for someone present."""
    card = SAMPLE_CARDS["resident_id"]
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        assert await app.card_reading.settled()
        simulator.place_card("resident_id")
        await _card_read(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)
        assert _field(app, "person.name").value == "韩梅梅"
        assert app.focused is _field(app, "unit")
        await pilot.press("5", "0", "1", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RegisterScreen)
        await _lift(simulator)
        simulator.place_card("resident_id")  # the same guest at the desk again, to leave
        await _card_read(app, pilot, 2)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DepartureScreen)
        [view] = hotel_registry.find_by_document("resident_id", card.doc_number)
        table = app.screen.query_one(PeopleTable)
        assert table.selected() is not None and table.selected().id == view.id

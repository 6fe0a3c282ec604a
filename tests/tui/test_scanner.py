"""Scanners that type like a keyboard: an ID card reader (18 characters + Enter) and a passport reader
(two MRZ lines, each + Enter), in the register form, on the home screen and in departure."""

from __future__ import annotations

from datetime import date

from agent.cli.demo_people import resident_id_for
from agent.validation.mrz import check_digit
from tui.screens.departure_screen import DepartureScreen
from tui.screens.register_screen import RegisterScreen
from tui.widgets.people_table import PeopleTable


def passport_mrz(surname: str, given: str, number: str, nationality: str, born: date, sex: str,
                 expires: date) -> tuple[str, str]:
    """The two TD3 lines a passport reader types, with every check digit computed (ICAO 9303 Part 4)."""
    name = (surname + "<<" + given.replace(" ", "<")).ljust(39, "<")
    first = f"P<{nationality}{name}"[:44]
    num = number.ljust(9, "<")
    birth, expiry = born.strftime("%y%m%d"), expires.strftime("%y%m%d")
    optional = "<" * 14
    body = (num + check_digit(num) + nationality + birth + check_digit(birth) + sex + expiry
            + check_digit(expiry) + optional + "<")
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    return first, body + composite


def _field(app, key: str):
    return app.screen.query_one("#f-" + key.replace(".", "--"))




async def test_an_id_card_swiped_into_the_scan_box_fills_the_form(hotel_registry, make_app, burst):
    number, born, sex = resident_id_for(11)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, RegisterScreen) and app.focused is screen.query_one("#scan")
        await burst(app, pilot, number)
        await pilot.pause()
        assert _field(app, "person.doc_number").value == number
        assert screen.form.value("person.birth_date") == born.isoformat() and screen.form.value("person.sex") == sex
        assert app.focused is _field(app, "person.name")  # the first field the card did not fill


async def test_a_passport_scan_fills_the_form_and_registers(hotel_registry, make_app, burst):
    first, second = passport_mrz("SMITH", "JOHN PAUL", "X1234567", "USA", date(1985, 3, 14), "M", date(2031, 6, 1))
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        screen = app.screen
        await burst(app, pilot, first, second)
        await pilot.pause()
        assert screen.form.value("person.doc_type") == "passport"
        assert _field(app, "person.doc_number").value == "X1234567"
        assert _field(app, "person.name").value == "SMITH JOHN PAUL"
        assert _field(app, "person.nationality").value == "美国"  # USA, shown by its name
        assert screen.form.value("person.doc_expiry") == "2031-06-01"
        assert app.focused is _field(app, "person.visa.type")  # a foreign guest's visa: the shared check asks it
        for key, value in (("person.visa.type", "visa_free"), ("person.visa.stay_until", "2025-05-30"),
                           ("person.visa.entry_date", "2025-04-30"), ("person.visa.entry_port", "PEK")):
            screen.form.set(key, value)
            screen.fields.show_value(key)
        _field(app, "unit").focus()
        await pilot.press("5", "0", "1", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RegisterScreen)
    [view] = hotel_registry.registrations()
    assert (view.doc_type, view.name, view.unit, view.sex) == ("passport", "SMITH JOHN PAUL", "501", "M")


async def test_a_misread_passport_line_is_refused_with_the_reason(hotel_registry, make_app, burst):
    first, second = passport_mrz("SMITH", "JOHN", "X1234567", "USA", date(1985, 3, 14), "M", date(2031, 6, 1))
    misread = second[:13] + ("9" if second[13] != "9" else "8") + second[14:]  # a birth date digit
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        screen = app.screen
        await burst(app, pilot, first, misread)
        await pilot.pause()
        assert screen.form.value("person.doc_number") == ""
        assert "check digit" in str(screen.query_one("#form-message").render())


async def test_an_id_card_swiped_while_the_cursor_is_in_the_name_field_is_still_read(hotel_registry, make_app, burst):
    number, _, _ = resident_id_for(12)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        screen = app.screen
        _field(app, "person.name").focus()
        await burst(app, pilot, number)
        await pilot.pause()
        assert screen.form.value("person.doc_number") == number
        assert screen.form.value("person.name") == ""


async def test_a_card_swiped_on_home_opens_check_out_for_someone_present(hotel_registry_at_now, make_app, seed_guests,
                                                                        burst):
    hotel_registry = hotel_registry_at_now  # the check-out time the screen offers is the register's now
    [first_id, _] = seed_guests(hotel_registry, 2)
    number, _, _ = resident_id_for(0)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await burst(app, pilot, number)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DepartureScreen)
        table = app.screen.query_one("#present", PeopleTable)
        assert app.focused is table and table.selected().id == first_id
        await pilot.press("enter")  # the person, then the time as offered, then 确认离开
        await pilot.pause()
        await pilot.press("enter", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert len(hotel_registry.registrations(present_only=True)) == 1
    assert first_id not in [v.id for v in hotel_registry.registrations(present_only=True)]


async def test_a_card_swiped_on_home_opens_the_filled_form_for_a_newcomer(hotel_registry, make_app, burst):
    number, _, _ = resident_id_for(21)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await burst(app, pilot, number)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)
        assert app.screen.form.value("person.doc_number") == number


async def test_keys_typed_right_after_a_swipe_land_in_the_form_not_the_scan_box(hotel_registry, make_app, burst):
    """Fast hands (#17 item 10): the scanner's Enter and the clerk's next keys come in one burst, with no
    pause for the app to catch up; the name typed right after the swipe goes into the name field."""
    number, _, _ = resident_id_for(13)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        screen = app.screen
        await burst(app, pilot, number, then="韩梅梅")
        assert screen.query_one("#scan").value == ""
        assert _field(app, "person.doc_number").value == number
        assert _field(app, "person.name").value == "韩梅梅"
        assert app.focused is _field(app, "person.name")


async def test_a_passport_scanned_in_one_burst_with_the_room_typed_after_it(hotel_registry, make_app, burst):
    """Both MRZ lines and the room in one burst: the second line still goes to the scan box (it keeps the
    cursor after a first line), the room to the room field (a Chinese passport: no visa to ask for first)."""
    first, second = passport_mrz("ZHANG", "WEI", "E12345678", "CHN", date(1985, 3, 14), "M", date(2031, 6, 1))
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        screen = app.screen
        await burst(app, pilot, first, second, then="501")
        assert screen.form.value("person.doc_number") == "E12345678"
        assert screen.query_one("#scan").value == ""
        assert _field(app, "unit").value == "501"


async def test_keys_typed_right_after_a_swipe_into_the_name_field_land_in_the_name(hotel_registry, make_app, burst):
    """A card swiped while the cursor is in the name field, and the name typed at once after it: the
    number leaves the name field, the name stays there."""
    number, _, _ = resident_id_for(14)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        screen = app.screen
        await pilot.press("enter", "enter", "enter")  # from the empty scan box to the name
        assert app.focused is _field(app, "person.name")
        await burst(app, pilot, number, then="韩梅梅")
        assert screen.form.value("person.doc_number") == number
        assert _field(app, "person.name").value == "韩梅梅"
        assert app.focused is _field(app, "person.name")

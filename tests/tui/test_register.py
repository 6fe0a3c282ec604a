"""Registering through the form: typed by hand, each kind of invalid input, the ID number's autofill.

Every test drives the real form with keys and then looks in the real store: the registration row and
its outbox event are there (or, for a refused form, nothing is).
"""

from __future__ import annotations

from agent.cli.demo_people import resident_id_for
from agent.validation.venue import VenueDetails
from tui.messages import Registered
from tui.screens.home_screen import HomeScreen
from tui.screens.register_screen import RegisterScreen
from tui.widgets.field_row import FieldRow


def _field(app, key: str):
    return app.screen.query_one("#f-" + key.replace(".", "--"))


def _row(app, key: str) -> FieldRow:
    return app.screen.query_one("#row-" + key.replace(".", "--"), FieldRow)


async def _type(pilot, text: str) -> None:
    """Type key by key (slow under the pilot: kept for the keyboard-only test and short texts)."""
    await pilot.press(*text)


async def _fill(app, pilot, key: str, text: str) -> None:
    """Focus a field and put text in it at once, as a paste would: the same Changed path as typing."""
    widget = _field(app, key)
    widget.focus()
    widget.value = text
    await pilot.pause()


async def _open_form(app, pilot) -> RegisterScreen:
    await app.workers.wait_for_complete()
    await pilot.press("f2")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, RegisterScreen)
    return app.screen


async def test_a_guest_registered_by_keyboard_alone_lands_in_the_store_and_outbox(hotel_registry, make_app):
    number, born, sex = resident_id_for(7)
    messages: list[object] = []
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await _open_form(app, pilot)
        await pilot.press("enter")  # empty scan box: type by hand
        assert app.focused is _field(app, "person.doc_type")
        await pilot.press("enter")  # keep 居民身份证
        assert app.focused is _field(app, "person.doc_number")
        await _type(pilot, number)
        await pilot.press("enter")
        assert app.focused is _field(app, "person.name")
        await _type(pilot, "王伟")
        for _ in range(6):  # sex, birth date, ethnicity, address, phone (filled or optional), then the room
            await pilot.press("enter")
        assert app.focused is _field(app, "unit")
        await _type(pilot, "302")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert any(isinstance(m, Registered) for m in messages)
    [view] = hotel_registry.registrations()
    assert (view.name, view.unit, view.sex, view.doc_masked[-4:]) == ("王伟", "302", sex, number[-4:])
    assert view.arrived_at.strftime("%Y-%m-%d %H:%M") == "2025-05-01 06:30"  # 14:30 China time, stored as UTC
    assert hotel_registry.outbox_counts()["pending"] == 1


async def test_the_id_number_fills_birth_date_sex_and_native_region(hotel_registry, make_app, screen_text):
    number, born, sex = resident_id_for(3)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        await _fill(app, pilot, "person.doc_number", number)
        await pilot.pause()
        assert screen.form.value("person.sex") == sex
        assert screen.form.value("person.birth_date") == born.isoformat()
        assert _field(app, "person.birth_date").value == born.isoformat()
        assert _field(app, "person.sex").value == sex
        assert _field(app, "person.address").value.startswith("河南省")
        assert "籍贯：河南省" in screen_text(app)
        # A different (mistyped) number takes back what the first one filled in.
        await pilot.press("backspace")
        await pilot.pause()
        assert screen.form.value("person.birth_date") == "" and screen.form.value("person.sex") == ""


async def test_a_wrong_check_digit_is_shown_at_the_field_and_nothing_is_stored(hotel_registry, make_app, screen_text):
    number, _, _ = resident_id_for(5)
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await _fill(app, pilot, "person.doc_number", wrong[:10])
        await pilot.pause()
        assert not _row(app, "person.doc_number").has_class("-invalid")  # no noise while typing
        await _type(pilot, wrong[10:])
        await pilot.pause()
        assert _row(app, "person.doc_number").has_class("-invalid")
        assert "校验位" in screen_text(app)
        await _fill(app, pilot, "person.name", "李娜")
        await _fill(app, pilot, "unit", "305")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)
        assert app.focused is _field(app, "person.doc_number")
    assert hotel_registry.registrations() == []
    assert hotel_registry.outbox_counts()["pending"] == 0


async def test_saving_an_empty_form_points_at_the_first_missing_field(hotel_registry, make_app, screen_text):
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.focused is _field(app, "person.doc_number")
        for key in ("person.doc_number", "person.name", "person.sex", "unit"):
            assert _row(app, key).has_class("-invalid"), key
        assert not _row(app, "person.phone").has_class("-invalid")
        assert "4 field(s) to fix" in screen_text(app) and "Document number is required" in screen_text(app)
    assert hotel_registry.registrations() == []


async def test_each_kind_of_invalid_field_is_refused_with_its_own_message(hotel_registry, make_app, screen_text):
    number, born, _ = resident_id_for(9)
    cases = (
        ("person.phone", "12345678901", "phone"),
        ("person.birth_date", "1990-02-30", "date"),
        ("arrived_at", "yesterday", "datetime"),
    )
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        await _fill(app, pilot, "person.doc_number", number)
        await _fill(app, pilot, "person.name", "赵敏")
        await _fill(app, pilot, "unit", "401")
        for key, text, code in cases:
            await _fill(app, pilot, key, text)
            await pilot.press("tab")  # leave the field: every problem shows
            await pilot.pause()
            assert _row(app, key).has_class("-invalid"), key
            assert screen.problems.shown[key].code.startswith(code) or code in screen.problems.shown[key].code, key
        # the birth date typed over the one the ID filled in now disagrees with the number, too
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, RegisterScreen)
    assert hotel_registry.registrations() == []


async def test_the_same_person_twice_is_refused_by_the_store_and_said_at_the_number(
        hotel_registry, make_app, seed_guests, screen_text):
    seed_guests(hotel_registry, 1)  # sample person 0 in room 301
    number, _, _ = resident_id_for(0)
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await _fill(app, pilot, "person.doc_number", number)
        await _fill(app, pilot, "person.name", "王伟")
        await _fill(app, pilot, "unit", "309")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)
        assert app.focused is _field(app, "person.doc_number")
        assert "已在本场所登记" in screen_text(app)
    assert len(hotel_registry.registrations()) == 1


async def test_typed_values_survive_a_language_switch(hotel_registry, make_app):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await _fill(app, pilot, "person.name", "张三")
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert _field(app, "person.name").value == "张三"
        assert app.focused is _field(app, "person.name")


async def test_a_passport_holder_is_asked_the_nationality(hotel_registry, make_app):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        assert not _row(app, "person.nationality").display
        _field(app, "person.doc_type").value = "passport"
        await pilot.pause()
        assert _row(app, "person.nationality").display
        assert not _row(app, "person.address").display
        assert "person.nationality" in [f.key for f in screen.form.shown()]


async def test_esc_leaves_an_untouched_form_at_once_and_asks_before_discarding_typed_work(hotel_registry, make_app):
    from tui.screens.discard_modal import DiscardModal

    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # nothing typed: nothing to lose

        await _open_form(app, pilot)
        await _fill(app, pilot, "person.name", "王伟")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DiscardModal)
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen) and _field(app, "person.name").value == "王伟"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # the key pressed most: keeps the work (Keep editing has the focus)
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen) and _field(app, "person.name").value == "王伟"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("tab", "enter")  # Enter on the focused Discard button
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await _open_form(app, pilot)
        await _fill(app, pilot, "person.name", "李娜")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # or Y
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert hotel_registry.registrations() == []


def _venue_registry(private_home, kind: str):  # type: ignore[no-untyped-def]
    from agent.register.registry import Registry
    from agent.store.opening import open_store

    registry = Registry(open_store(private_home, create=True))
    registry.set_venue(VenueDetails(kind=kind, name="测试场所"))
    return registry


async def test_a_landlord_form_asks_for_the_lease_end_and_phone(private_home, make_app, screen_text):
    registry = _venue_registry(private_home, "rental")
    number, _, _ = resident_id_for(11)
    app = make_app(registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await _fill(app, pilot, "person.doc_number", number)
        await _fill(app, pilot, "person.name", "赵敏")
        await _fill(app, pilot, "unit", "3-201")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert _row(app, "person.phone").has_class("-invalid") and _row(app, "expected_departure").has_class("-invalid")
        assert registry.registrations() == []
        await _fill(app, pilot, "person.phone", "13812345678")
        await _fill(app, pilot, "expected_departure", "2025-11-01")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    [view] = registry.registrations()
    assert (view.kind, view.unit, view.phone_masked) == ("tenancy", "3-201", "138****5678")
    assert view.expected_departure is not None and view.expected_departure.strftime("%Y-%m-%d") == "2025-10-31"  # UTC
    registry.store.dispose()


async def test_an_employer_form_asks_for_the_position_and_lodging(private_home, make_app):
    registry = _venue_registry(private_home, "employer")
    number, _, _ = resident_id_for(12)
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await _fill(app, pilot, "person.doc_number", number)
        await _fill(app, pilot, "person.name", "钱进")
        await _fill(app, pilot, "unit", "后厨")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert _row(app, "position").has_class("-invalid") and _row(app, "lodges_on_site").has_class("-invalid")
        await _fill(app, pilot, "position", "厨师")
        _field(app, "lodges_on_site").value = "true"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    with registry.store.read() as session:
        from sqlmodel import select

        from agent.store.models import Registration

        row = session.exec(select(Registration)).one()
    assert (row.kind, row.position, row.lodges_on_site) == ("employment", "厨师", True)
    registry.store.dispose()


async def test_a_save_checks_the_registration_once_and_the_register_trusts_that_check(hotel_registry, make_app,
                                                                                      monkeypatch):
    """The last field typed, then Enter on the focused Save button: the entries are checked once (when
    typed; the marks, the message and the save read that check) and the register takes the checked
    result without checking it again. Before, the same entries were checked three times."""
    import agent.register.ledger
    import tui.forms.registration_form
    from agent.validation.registration import check_registration

    number, _, _ = resident_id_for(11)
    calls: list[str] = []

    def counted(where: str):  # the real check, counted where it is called from
        def check(payload, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(where)
            return check_registration(payload, **kwargs)
        return check

    monkeypatch.setattr(tui.forms.registration_form, "check_registration", counted("form"))
    monkeypatch.setattr(agent.register.ledger, "check_registration", counted("register"))
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await _fill(app, pilot, "person.doc_number", number)
        await _fill(app, pilot, "person.name", "赵敏")
        calls.clear()  # from here: the last field typed, Tab to the Save button, Enter on it
        await _fill(app, pilot, "unit", "306")
        app.screen.query_one("#save").focus()
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert calls == ["form"]
    [view] = hotel_registry.registrations()
    assert (view.name, view.unit) == ("赵敏", "306")


def test_the_register_refuses_a_checked_result_the_validator_did_not_make(hotel_registry):
    from agent.validation.registration import CheckedRegistration, check_registration

    number, _, _ = resident_id_for(12)
    payload = {"kind": "stay", "unit": "307", "arrived_at": "2025-05-01 10:00",
               "person": {"doc_type": "resident_id", "doc_number": number, "name": "钱进"}}
    forged = CheckedRegistration(dict(check_registration(payload).data or {}))
    outcome = hotel_registry.register(forged)
    assert not outcome.ok and [p.code for p in outcome.problems] == ["registration.unchecked"]
    assert hotel_registry.registrations() == []
    assert hotel_registry.register(check_registration(payload)).ok


async def test_ctrl_q_and_ctrl_r_ask_before_losing_what_was_typed(hotel_registry, make_app):
    from tui.screens.discard_modal import DiscardModal

    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_form(app, pilot)
        await _fill(app, pilot, "person.name", "王伟")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, DiscardModal)
        await pilot.press("enter")  # keep: the app goes on, the name is still there
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen) and _field(app, "person.name").value == "王伟"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, DiscardModal)
        await pilot.press("escape")
        await pilot.pause()
        assert _field(app, "person.name").value == "王伟"
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("y")  # a deliberate yes: the form is empty for the next person
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen) and _field(app, "person.name").value == ""
        await pilot.press("ctrl+q")  # nothing typed now: quits at once
        await pilot.pause()
    assert app.return_code == 0 and hotel_registry.registrations() == []

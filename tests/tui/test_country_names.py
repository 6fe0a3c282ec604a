"""Countries by their names, not codes: a scanned passport's nationality shows as 美国 (United States in
English), a code typed becomes the name, a language switch renames it, the register stores the code; the
person's screen names the nationality; the visa types are offered by name."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from agent.store.models import Event
from agent.validation.words import code_in_table
from tests.tui.test_scanner import passport_mrz
from tui.screens.person_screen import PersonScreen
from tui.screens.register_screen import RegisterScreen
from tui.widgets.choice_select import ChoiceSelect


def _field(app, key: str):  # type: ignore[no-untyped-def]
    return app.screen.query_one("#f-" + key.replace(".", "--"))


@pytest.mark.parametrize(("lang", "name", "other"), [("zh", "美国", "United States"), ("en", "United States", "美国")])
async def test_a_scanned_passport_names_the_country_and_a_switch_renames_it(hotel_registry, make_app, burst,
                                                                            screen_text, lang, name, other):
    first, second = passport_mrz("SMITH", "JOHN", "X1234567", "USA", date(1985, 3, 14), "M", date(2031, 6, 1))
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await burst(app, pilot, first, second)
        screen = app.screen
        assert isinstance(screen, RegisterScreen)
        assert _field(app, "person.nationality").value == name
        assert code_in_table("countries", screen.form.payload()["person"]["nationality"]) == "USA"
        await pilot.press("f9")  # the other language: the country's name in it
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert _field(app, "person.nationality").value == other


async def test_a_country_code_typed_becomes_its_name(hotel_registry, make_app):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        screen = app.screen
        _field(app, "person.doc_type").value = "passport"
        await pilot.pause()
        _field(app, "person.nationality").focus()
        await pilot.press(*"jpn", "enter")
        await pilot.pause()
        assert _field(app, "person.nationality").value == "日本"
        assert code_in_table("countries", screen.form.payload()["person"]["nationality"]) == "JPN"


def test_the_visa_types_are_offered_by_name(hotel_registry):
    from agent.forms.templates import load_template
    from tui.widgets.field_row import make_input

    field = load_template("hotel").field("person.visa.type")
    for lang, word in (("zh", "L字签证(旅游)"), ("en", "L visa (tourism)")):
        select = make_input(field, "", lang)
        assert isinstance(select, ChoiceSelect)
        labels = [str(label) for label, _ in select._options]  # noqa: SLF001
        assert word in labels and "L" not in labels


@pytest.mark.parametrize(("lang", "line"), [("zh", "国籍(地区)  美国"), ("en", "Nationality   United States")])
async def test_the_person_screen_names_the_nationality(hotel_registry, make_app, screen_text, lang, line):
    from agent.cli.demo_people import sample_registration

    payload = sample_registration(1, "stay", "2025-05-01 10:00", unit="305")
    payload["person"] = {"doc_type": "passport", "doc_number": "X1234567", "name": "SMITH JOHN", "sex": "M",
                         "birth_date": "1985-03-14", "nationality": "USA", "doc_expiry": "2031-06-01",
                         "visa": {"type": "L", "number": "12345678", "stay_until": "2025-05-30",
                                  "entry_date": "2025-04-30", "entry_port": "PEK"}}
    outcome = hotel_registry.register(payload)
    assert outcome.ok, outcome.problems
    with hotel_registry.store.read() as session:
        assert hotel_registry.event_payload(session.exec(select(Event)).one())["person"]["nationality"] == "USA"
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.press(*"305", "enter", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)
        text = screen_text(app)
        assert " ".join(line.split()) in " ".join(text.split()), text
        assert "USA" not in text

"""A field's problem stays written under the field until it is fixed, and the cursor is unmistakable.

Read from what was drawn, at 80x24 and 60x20, in Chinese and English: the note under a field that was
left wrong is still there after the next Enters, the save button stays on the screen whatever the
notes take, and the focused input's ground differs plainly from the others' in both themes.
"""

from __future__ import annotations

import pytest

from agent.cli.demo_people import resident_id_for
from agent.validation.venue import VenueDetails
from tests.tui.conftest import settle, until_drawn
from tui.preferences import Preferences
from tui.screens.register_screen import RegisterScreen
from tui.widgets.field_row import FieldRow


def _rental(private_home):  # type: ignore[no-untyped-def]
    from agent.register.registry import Registry
    from agent.store.opening import open_store

    registry = Registry(open_store(private_home, create=True))
    registry.set_venue(VenueDetails(kind="rental", name="测试出租屋"))
    return registry


async def _open_form(app, pilot) -> RegisterScreen:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.press("f2")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, RegisterScreen)
    return app.screen


def _drawn_lines(screen_text, app) -> list[str]:  # type: ignore[no-untyped-def]
    return screen_text(app).splitlines()


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_wrong_number_stays_written_under_its_field_after_moving_on(
        hotel_registry, make_app, screen_text, lang, size):
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        screen = await _open_form(app, pilot)
        await pilot.press("enter", "enter")  # scan box empty: to the fields; keep the document type
        await pilot.press(*"41010219")
        await pilot.press("enter", "enter", "enter")  # on to the name, the sex, the birth date
        await pilot.pause()
        row = screen.query_one("#row-person--doc_number", FieldRow)
        assert row.has_class("-invalid") and row.note.startswith("✗")
        assert await until_drawn(app, pilot, "✗ " + row.note[2:8]), screen_text(app)  # the note's new line laid out
        lines = _drawn_lines(screen_text, app)
        number_line = next(i for i, line in enumerate(lines) if ("证件号码" if lang == "zh" else "Document number") in line)
        assert lines[number_line + 1].strip().startswith("✗ " + row.note[2:8])  # right under the field
        # Fixed: the note goes, and the form is one line per field again.
        screen.query_one("#f-person--doc_number").value = resident_id_for(3)[0]
        await settle(app, pilot)
        assert row.note == ""
        lines = _drawn_lines(screen_text, app)
        number_line = next(i for i, line in enumerate(lines) if ("证件号码" if lang == "zh" else "Document number") in line)
        assert ("姓名" if lang == "zh" else "Name") in lines[number_line + 1]  # the next field, right under it


@pytest.mark.parametrize(("lang", "size"), [("zh", (80, 24)), ("en", (60, 20))])  # the longer words, the smaller screen
async def test_enter_on_the_save_button_of_an_empty_lease_writes_each_problem_and_keeps_the_button_in_sight(
        private_home, make_app, screen_text, lang, size):
    registry = _rental(private_home)
    app = make_app(registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        screen = await _open_form(app, pilot)
        save = screen.query_one("#save")
        while app.focused is not save:
            await pilot.press("tab")
        await pilot.press("enter")  # the focused button, as a person presses it
        await pilot.pause()
        noted = [row for row in screen.query(FieldRow) if row.note]
        assert {row.form_field.key for row in noted} >= {"person.doc_number", "person.name", "unit"}
        assert app.focused is screen.query_one("#f-person--doc_number")
        text = screen_text(app)
        assert noted[0].note in " ".join(text.split()) or noted[0].note[:12] in text
        assert save.region.bottom <= size[1] - 1 and save.region.height == 1  # above the key bar
        assert ("保存" if lang == "zh" else "Save") in text.splitlines()[save.region.y]
        # Moving down the form to the last field: the button is still there, and so is each note.
        for _ in range(12):
            await pilot.press("tab")
        assert save.region.bottom <= size[1] - 1
    registry.store.dispose()


def _distance(one, other) -> float:  # type: ignore[no-untyped-def]
    return sum((a - b) ** 2 for a, b in zip(one.rgb, other.rgb, strict=True)) ** 0.5


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_the_focused_field_stands_out_in_both_themes(hotel_registry, make_app, theme):
    app = make_app(hotel_registry, preferences=Preferences(theme=theme))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(app, pilot)
        await pilot.press("enter", "enter")  # to the document number
        await pilot.pause()
        focused = screen.query_one("#f-person--doc_number")
        other = screen.query_one("#f-person--name")
        assert app.focused is focused
        assert _distance(focused.background_colors[1], other.background_colors[1]) > 60
        label = screen.query_one("#row-person--doc_number .field-line > Label")
        other_label = screen.query_one("#row-person--name .field-line > Label")
        assert _distance(label.background_colors[1], other_label.background_colors[1]) > 100
        scan = screen.query_one("#scan")
        scan.focus()
        await pilot.pause()
        assert _distance(scan.background_colors[1], focused.background_colors[1]) > 60


async def test_a_wizard_field_left_wrong_keeps_its_note(make_app, screen_text):
    app = make_app(None, lang="en")
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("enter")  # Enter on the focused kind list moves on to the Next button
        await pilot.press("enter")  # Next
        await pilot.pause()
        await pilot.press("ctrl+s")  # nothing typed: the name is required
        await pilot.pause()
        note = app.screen.query_one("#note-s-name")
        assert "✗" in note.note and note.note[2:] in " ".join(screen_text(app).split())
        await pilot.press("enter", "enter")  # on to other fields: it stays
        assert note.note and note.note[2:12] in screen_text(app)

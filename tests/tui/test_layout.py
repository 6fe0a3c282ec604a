"""Nothing cut, nothing dropped, at 80x24, 60x20 and 200x60, in Chinese and English.

Each check compares the text a widget holds with what was drawn: every key of the key bar, every
label of the register form, the clock in the title, the people list's status column. And the words:
a hotel's unit is a room, F7 means one thing, the lock follows F9, no "。" starts a line of help.
"""

from __future__ import annotations

import pytest

from agent.cli.demo_people import sample_registration
from agent.duties.operators import add_operator
from agent.validation.venue import VenueDetails
from tui.folding import NO_LINE_START
from tui.screens.lock_modal import LockModal
from tui.widgets.field_row import FieldRow
from tui.widgets.key_bar import KeyBar
from tui.widgets.people_table import PeopleTable

SIZES = [(80, 24), (60, 20), (200, 60)]


def _registry(private_home, kind: str, name: str = "测试场所"):  # type: ignore[no-untyped-def]
    from agent.register.registry import Registry
    from agent.store.opening import open_store

    registry = Registry(open_store(private_home, create=True))
    registry.set_venue(VenueDetails(kind=kind, name=name))
    return registry


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _assert_key_bar_whole(app, screen_text) -> None:  # type: ignore[no-untyped-def]
    drawn = screen_text(app)
    bar = app.screen.query_one(KeyBar)
    for entry in bar.entries:
        assert entry in drawn, (entry, drawn.splitlines()[-3:])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_home_and_lists_show_every_key_the_clock_and_the_status(
        private_home, make_app, screen_text, lang, size):
    registry = _registry(private_home, "hotel", name="郑州市二七区大学路幸福里家庭宾馆（总店）")
    for i in range(3):
        assert registry.register(sample_registration(i, "stay", "2025-05-01 10:00", unit=f"30{i}")).ok
    registry.depart(registry.registrations()[0].id)
    app = make_app(registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)
        title = screen_text(app).splitlines()[0]
        assert title.rstrip().endswith("2025-05-01 14:30 " + ("周四" if lang == "zh" else "Thu")), title
        _assert_key_bar_whole(app, screen_text)
        assert ("房号" if lang == "zh" else "Room") in screen_text(app)  # a hotel's unit is a room
        for key in ("f4", "f3"):
            await pilot.press(key)
            await _settle(app, pilot)
            _assert_key_bar_whole(app, screen_text)
            table = app.screen.query_one(PeopleTable)
            drawn = screen_text(app)
            for column in table.columns_shown:  # each column shown is whole: heading and cells
                assert table._heading(column) in drawn, column  # noqa: SLF001
            if key == "f4":
                assert "departed" in table.columns_shown
                assert ("在住" if lang == "zh" else "present") in drawn
            if size[0] >= 200:
                assert {"phone", "leaves"} <= set(table.columns_shown)  # the room is used
            await pilot.press("escape")
            await _settle(app, pilot)
    registry.store.dispose()


@pytest.mark.parametrize("size", SIZES[:2])  # a roomy screen draws what the small ones do
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["rental", "hotel", "employer"])
async def test_every_label_of_the_form_and_its_save_button_are_drawn_whole(
        private_home, make_app, screen_text, kind, lang, size):
    registry = _registry(private_home, kind)
    app = make_app(registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)
        await pilot.press("f2")
        await _settle(app, pilot)
        _assert_key_bar_whole(app, screen_text)
        save = app.screen.query_one("#save")
        assert save.region.bottom <= size[1] - 1
        seen = set()
        for row in app.screen.query(FieldRow):
            if not row.display:
                continue
            row.query_one("Input, ChoiceSelect").focus()  # scrolled into view, as Enter would
            await pilot.pause()
            await pilot.pause()  # the scroll runs after the refresh the first pause ends with
            label = row.form_field.label.text(lang)
            assert label in screen_text(app), (label, screen_text(app))
            seen.add(row.form_field.key)
        assert "unit" in seen and save.region.bottom <= size[1] - 1
    registry.store.dispose()


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_wizard_labels_and_keys_are_drawn_whole(make_app, screen_text, lang, size):
    app = make_app(None, lang=lang)
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter", "enter")  # rental; Enter on the focused Next button
        await pilot.pause()
        _assert_key_bar_whole(app, screen_text)
        for label in app.screen.query(".setup-row > Label"):
            assert str(label.render()).strip() in screen_text(app)
        assert app.screen.query_one("#next").region.bottom <= size[1] - 1


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_reminders_are_each_one_line_in_the_side_column(hotel_registry, make_app, screen_text, lang):
    from agent.duties.reminders import CODES
    from tui.screens.home_screen import _REMINDERS

    late = sample_registration(40, "stay", "2025-05-01 08:00", unit="310")
    late["expected_departure"] = "2025-05-01 12:00"  # before the app's clock: past the check-out
    assert hotel_registry.register(late).ok
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        zh, en = _REMINDERS["stay.overdue"]
        assert f"· {zh if lang == 'zh' else en} 1" in screen_text(app)
    assert sorted(_REMINDERS) == sorted(CODES)  # every duty named, none as its bare code
    for zh, en in _REMINDERS.values():  # every phrase fits the column with its count
        from rich.cells import cell_len

        assert cell_len(f" · {zh} 99") <= 26 and cell_len(f" · {en} 99") <= 26, (zh, en)


async def test_f9_on_the_lock_screen_switches_it_and_keeps_the_choice(hotel_registry, make_app, screen_text):
    add_operator(hotel_registry.store, "老板", "owner", "2468", actor=None)
    add_operator(hotel_registry.store, "小王", "clerk", "1357", actor="老板")
    app = make_app(hotel_registry, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LockModal) and "已锁定" in screen_text(app)
        app.screen.query_one("#lock-operator").value = "小王"
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, LockModal)
        assert "dengji is locked" in screen_text(app) and "已锁定" not in screen_text(app)
        assert app.screen.query_one("#lock-operator").value == "小王"
        await pilot.press(*"1357", "enter")
        await _settle(app, pilot)
        assert not isinstance(app.screen, LockModal)


def test_each_function_key_means_one_thing_on_every_screen() -> None:
    import tui.screens.departure_screen
    import tui.screens.home_screen
    import tui.screens.people_screen
    import tui.screens.person_screen
    import tui.screens.register_screen
    import tui.screens.rejected_screen
    import tui.screens.settings_screen
    import tui.screens.setup_screen  # noqa: F401 - every screen class is defined
    from tui.app import DengjiApp
    from tui.screens.base import DengjiScreen

    meanings: dict[str, set[str]] = {}

    def walk(cls):  # type: ignore[no-untyped-def]
        for sub in cls.__subclasses__():
            for key in sub.KEYS:
                first = key.keys.split(",")[0]
                if first.startswith("f") and first[1:].isdigit():
                    meanings.setdefault(first, set()).add(key.en)
            walk(sub)

    walk(DengjiScreen)
    for key in DengjiApp.APP_KEYS:
        meanings.setdefault(key.keys, set()).add(key.en)
    assert {k: v for k, v in meanings.items() if len(v) > 1} == {}


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_no_line_of_the_help_starts_with_closing_punctuation(hotel_registry, make_app, screen_text, size):
    app = make_app(hotel_registry, lang="zh")
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)
        for key in ("", "f2", "f3", "f4"):
            if key:
                await pilot.press(key)
                await _settle(app, pilot)
            await pilot.press("f1")
            await pilot.pause()
            for line in screen_text(app).splitlines():
                inside = line.strip().lstrip("│").strip()
                assert inside[:1] not in NO_LINE_START, line
            await pilot.press("escape")
            await pilot.pause()

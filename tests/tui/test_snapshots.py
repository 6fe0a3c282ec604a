"""How the main screens look at 80x24, in Chinese and in English (pytest-textual-snapshot).

The store is real and the clock fixed, so a snapshot changes only when the screen does. After an
intended change of the look: `pytest tests/tui/test_snapshots.py --snapshot-update`, then review the
SVGs under `__snapshots__/` before committing them.
"""

from __future__ import annotations

import pytest

from agent.duties.operators import add_operator

SIZE = (80, 24)


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until no worker runs and none was started by what the last ones posted (a screen's loading
    worker may start after the first wait, and the table's column widths follow its rows a frame later),
    and until the card reader has been found or found absent (no reader here: "无读卡器").
    The app holds the text cursor still (`DengjiApp.on_descendant_focus`), so no blink phase shows."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.app.card_reading.settled()  # a screen that takes cards shows whether a reader is there
        await pilot.pause()


def _steady_cursors(pilot) -> None:  # type: ignore[no-untyped-def]
    """Stop the inputs' cursors blinking (shown steadily): a blink every 0.5 s decides the picture on a
    loaded machine, where the screenshot comes later (seen in full runs beside subprocess-heavy tests)."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


def _keys(*keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        if keys:
            await pilot.press(*keys)
        await _settle(pilot)
        _steady_cursors(pilot)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_home(snap_compare, hotel_registry, make_app, seed_guests, lang):
    seed_guests(hotel_registry, 6)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_register_form(snap_compare, hotel_registry, make_app, lang):
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys("f2"))


def test_register_form_with_an_error(snap_compare, hotel_registry, make_app):
    assert snap_compare(make_app(hotel_registry), terminal_size=SIZE, run_before=_keys("f2", "ctrl+s"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_departure(snap_compare, hotel_registry, make_app, seed_guests, lang):
    seed_guests(hotel_registry, 5)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys("f3", "3", "0"))


def test_people_en(snap_compare, hotel_registry, make_app, seed_guests):
    seed_guests(hotel_registry, 4)
    assert snap_compare(make_app(hotel_registry, lang="en"), terminal_size=SIZE, run_before=_keys("f4"))


def test_setup_wizard_zh(snap_compare, make_app):
    assert snap_compare(make_app(None), terminal_size=SIZE, run_before=_keys())


def test_help_en(snap_compare, hotel_registry, make_app):
    assert snap_compare(make_app(hotel_registry, lang="en"), terminal_size=SIZE, run_before=_keys("f1"))


def test_lock_zh(snap_compare, hotel_registry, make_app):
    add_operator(hotel_registry.store, "老板", "owner", "2468", actor=None)
    add_operator(hotel_registry.store, "小王", "clerk", "1357", actor="老板")
    assert snap_compare(make_app(hotel_registry), terminal_size=SIZE, run_before=_keys())


LARGE = (200, 60)


def test_home_large_zh(snap_compare, hotel_registry, make_app, seed_guests):
    seed_guests(hotel_registry, 12)
    assert snap_compare(make_app(hotel_registry), terminal_size=LARGE, run_before=_keys())


def test_register_form_large_en(snap_compare, hotel_registry, make_app):
    assert snap_compare(make_app(hotel_registry, lang="en"), terminal_size=LARGE, run_before=_keys("f2"))


def test_home_light_theme_zh(snap_compare, hotel_registry, make_app, seed_guests):
    seed_guests(hotel_registry, 3)
    assert snap_compare(make_app(hotel_registry), terminal_size=SIZE, run_before=_keys("f8"))


def test_register_form_light_theme_en(snap_compare, hotel_registry, make_app):
    assert snap_compare(make_app(hotel_registry, lang="en"), terminal_size=SIZE, run_before=_keys("f8", "f2"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rejected(snap_compare, hotel_registry, make_app, seed_guests, lang):
    from sqlalchemy import update

    from agent.register.registry import Registry
    from agent.store.models import OutboxEntry
    from tests.tui.conftest import NOW

    seed_guests(Registry(hotel_registry.store, clock=lambda: NOW), 2)  # events dated by the app's clock
    hotel_registry.store.write(lambda s: s.execute(update(OutboxEntry).where(OutboxEntry.event_seq == 2).values(
        state="rejected", reject_code="unit.not_filed", reject_zh="这个房间/单元没有在公安机关备案，请核对房间号，或先到派出所办理备案。",
        reject_en="This unit is not on file with the police station: check the unit, or file it at the station first.")))
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys("f5"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_discard_question(snap_compare, hotel_registry, make_app, lang):
    """Esc on a form with a name typed: the question, Keep editing focused (what Enter does)."""
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f2", "enter", "enter", "enter", *"wang", "escape"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_check_out_question(snap_compare, hotel_registry, make_app, seed_guests, lang):
    """Enter on a person in Departure: who (name, room, masked number) and when, before anything is written."""
    seed_guests(hotel_registry, 3)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f3", "enter", "enter"))


def _family(registry, unit: str = "501", count: int = 3) -> None:  # type: ignore[no-untyped-def]
    from agent.cli.demo_people import sample_registration
    from tests.tui.conftest import ARRIVED

    for i in range(count):
        assert registry.register(sample_registration(i, "stay", ARRIVED, unit=unit)).ok


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_whole_room_question(snap_compare, hotel_registry, make_app, lang):
    """Enter on a person whose room has others: who else is there, and who leaves (only this person chosen)."""
    _family(hotel_registry)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f3", "enter", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_whole_room_question_chosen_narrow(snap_compare, hotel_registry, make_app, lang):
    """The whole room chosen, at 60x20: the button says how many leave."""
    _family(hotel_registry)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=(60, 20),
                        run_before=_keys("f3", "enter", "enter", "down", "enter", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_late_check_out_question(snap_compare, hotel_registry, make_app, seed_guests, lang):
    """A time more than 72 hours back: the rule, and the field for the reason, with the cursor in it."""
    seed_guests(hotel_registry, 1)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f3", "enter", "enter", "ctrl+u", *"2025-04-27 10:00", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_undo_question(snap_compare, hotel_registry_at_now, make_app, lang):
    """Ctrl+Z after a whole room's check-out: everyone who comes back, with room and masked number."""
    _family(hotel_registry_at_now)
    assert snap_compare(make_app(hotel_registry_at_now, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f3", "enter", "enter", "down", "enter", "enter", "enter", "ctrl+z"))


# -- issue 18: stay changes, visitors, a minor's companions ------------------------------------------


def _tenants(registry) -> None:  # type: ignore[no-untyped-def]
    """A landlord's register: the venue let as flats, one tenant whose lease is running."""
    from agent.cli.demo_people import sample_registration
    from agent.validation.venue import VenueDetails

    registry.set_venue(VenueDetails(kind="rental", name="幸福公寓"))
    payload = sample_registration(11, "tenancy", "2025-03-01 10:00", unit="2-301")
    payload["expected_departure"] = "2025-08-31"
    payload["late_reason"] = "入住时未登记，现补登"
    assert registry.register(payload).ok


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_person_with_stay_changes(snap_compare, hotel_registry, make_app, lang):
    """A tenant's screen: the lease's end by its day, and the buttons 换房 Ctrl+T and 续租 Ctrl+E."""
    _tenants(hotel_registry)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f4", *"2-301", "enter", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lease_renewal_question(snap_compare, hotel_registry, make_app, lang):
    """Ctrl+E on a tenant: the lease's end now and the new one typed with its year."""
    _tenants(hotel_registry)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f4", *"2-301", "enter", "enter", "ctrl+e", *"2026-08-31"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_room_change_question_refused(snap_compare, hotel_registry, make_app, seed_guests, lang):
    """Ctrl+T on a guest, the room they are in typed: the refusal said in the question."""
    seed_guests(hotel_registry, 2)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f4", *"301", "enter", "enter", "ctrl+t", *"301", "enter", "enter"))


def _visitor_in(registry, seed_guests) -> None:  # type: ignore[no-untyped-def]
    from agent.cli.demo_people import sample_person

    [host, _] = seed_guests(registry, 2)
    outcome = registry.visit({"visitor": sample_person(40), "host": host, "arrived_at": "2025-05-01 13:05"})
    assert outcome.ok, outcome.problems


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_visitors(snap_compare, hotel_registry, make_app, seed_guests, lang):
    """F12: the closing time, the visitors in (number masked), whom they visit."""
    _visitor_in(hotel_registry, seed_guests)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE, run_before=_keys("f12"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_visit_end_question(snap_compare, hotel_registry, make_app, seed_guests, lang):
    _visitor_in(hotel_registry, seed_guests)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f12", "tab", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_visitor_form(snap_compare, hotel_registry, make_app, seed_guests, lang):
    """A visitor typed in, the host searched by room and picked."""
    seed_guests(hotel_registry, 3)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys("f12", "enter", *"11010519491231002X", "enter", *"赵访客", "enter",
                                         "enter", "enter", "enter", *"302", "enter", "enter"))


def _minor_in_mothers_room(registry) -> None:  # type: ignore[no-untyped-def]
    from agent.cli.demo_people import sample_registration

    assert registry.register(sample_registration(3, "stay", "2025-05-01 10:00", unit="305")).ok


_CHILD_KEYS = ("f2", "enter", "enter", *"11010520120315002X", "enter", *"王小明", "enter",  # a boy of 13
               "enter", "enter", "enter", "enter", "enter",  # sex, birth date, ethnic group, address, phone
               *"王大明", "enter", *"13912345678", "enter", "enter", *"305")  # the guardian; the room


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_companions_question(snap_compare, hotel_registry, make_app, lang):
    """A minor in a room with an adult: who accompanies them, and how related."""
    _minor_in_mothers_room(hotel_registry)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys(*_CHILD_KEYS, "enter", "enter"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_register_form_with_companions(snap_compare, hotel_registry, make_app, lang):
    """The minor's form after the mother was picked as a parent."""
    _minor_in_mothers_room(hotel_registry)
    assert snap_compare(make_app(hotel_registry, lang=lang), terminal_size=SIZE,
                        run_before=_keys(*_CHILD_KEYS, "enter", "enter", "space", "down", "enter", "enter", "enter"))

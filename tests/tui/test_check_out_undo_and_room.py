"""The check-out side of issue 18 in the TUI: a check-out undone with Ctrl+Z (for 15 minutes), a whole room
checked out at once, and the reason a late check-out needs (issue 17 item 3, issue 18 items 1 and 6).

Keys only, on a real store: the clerk presses Enter on the focused button and reads what was drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from agent.register.registry import Registry
from agent.store.models import Event
from tests.moving_clock import Clock
from tests.tui.conftest import ARRIVED, NOW
from tests.tui.conftest import settle as _settle
from tui.app import DengjiApp
from tui.messages import Departed, DepartureUndone
from tui.preferences import Preferences
from tui.screens.departure_modal import DepartureModal
from tui.screens.departure_screen import DepartureScreen
from tui.screens.home_screen import HomeScreen
from tui.screens.person_screen import PersonScreen
from tui.screens.undo_modal import UndoDepartureModal
from tui.session import TuiSession

SIZES = [("zh", (80, 24)), ("en", (60, 20))]  # each language, each size: the widest text on the smallest screen
IDS = [f"{lang}-{w}x{h}" for lang, (w, h) in SIZES]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def registry(private_home: Path, clock: Clock) -> Iterator[Registry]:
    from agent.store.opening import open_store
    from agent.validation.venue import VenueDetails

    store = open_store(private_home, create=True)
    registry = Registry(store, clock=clock)
    registry.set_venue(VenueDetails(kind="hotel", name="测试宾馆"))
    yield registry
    store.dispose()


def _app(registry: Registry, home: Path, clock: Clock, lang: str) -> DengjiApp:
    session = TuiSession(home=home, registry=registry, lang=lang, clock=clock, preferences=Preferences())
    session.venue = registry.venue()
    return DengjiApp(session)


def _guests(registry: Registry, units: list[str], start: int = 0) -> list[int]:
    ids = []
    for i, unit in enumerate(units, start):
        outcome = registry.register(sample_registration(i, "stay", ARRIVED, unit=unit))
        assert outcome.ok and outcome.registration_id is not None, outcome.problems
        ids.append(outcome.registration_id)
    return ids


def _flat(text: str) -> str:
    return "".join(text.replace("▌", " ").split())  # a notification's edge is not part of its text


def _shown(app: DengjiApp) -> str:
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())  # noqa: SLF001


def _sees(app: DengjiApp, text: str) -> bool:
    return _flat(text) in _flat(_shown(app))


async def _press(app: DengjiApp, pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*keys)
    await _settle(app, pilot)


async def _to_question(app: DengjiApp, pilot, find: str) -> None:  # type: ignore[no-untyped-def]
    """F3, type what finds the person, Enter to the list, Enter on the person: the question."""
    await _press(app, pilot, "f3")
    assert isinstance(app.screen, DepartureScreen)
    await _press(app, pilot, *find, "enter", "enter")
    assert isinstance(app.screen, DepartureModal), _shown(app)


def _present(registry: Registry) -> set[int]:
    return {v.id for v in registry.registrations(present_only=True)}


def _events(registry: Registry) -> list[str]:
    with registry.store.read() as session:
        return [e.type for e in session.exec(select(Event).order_by(Event.seq))]


@pytest.mark.parametrize(("lang", "size"), SIZES, ids=IDS)
async def test_ctrl_z_undoes_a_check_out_on_the_departure_screen_after_asking(
        registry, private_home, clock, lang, size):
    say = (lambda zh, en: en if lang == "en" else zh)
    [guest, other] = _guests(registry, ["301", "302"])
    view = next(v for v in registry.registrations() if v.id == guest)
    messages: list[object] = []
    app = _app(registry, private_home, clock, lang)
    async with app.run_test(size=size, message_hook=messages.append, notifications=True) as pilot:
        await _to_question(app, pilot, "301")
        await _press(app, pilot, "enter")  # the time as offered: to the focused 确认离开
        assert app.focused is app.screen.query_one("#departure-confirm")
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, DepartureScreen)
        assert _present(registry) == {other}
        assert _sees(app, say("已办理离开", "Checked out")) and _sees(app, "Ctrl+Z"), _shown(app)  # how to undo
        assert _sees(app, "14:45")  # until when: 15 minutes after 14:30
        await _press(app, pilot, "ctrl+z")  # the key only asks
        assert isinstance(app.screen, UndoDepartureModal)
        assert _present(registry) == {other}
        for shown in (view.name, "301", view.doc_masked):
            assert _sees(app, shown), _shown(app)
        assert app.focused is app.screen.query_one("#undo-confirm")
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, DepartureScreen)
        assert _sees(app, say("已撤销离开", "Check-out undone")), _shown(app)
        assert guest in app.screen.query_one("#present").views  # listed as present again
    assert _present(registry) == {guest, other}
    assert _events(registry)[-2:] == ["departure", "departure_cancelled"]
    assert [m.registration_id for m in messages if isinstance(m, Departed | DepartureUndone)] == [guest, guest]


@pytest.mark.parametrize(("lang", "size"), SIZES, ids=IDS)
async def test_a_whole_room_leaves_at_once_and_ctrl_z_on_home_brings_it_back(
        registry, private_home, clock, lang, size):
    say = (lambda zh, en: en if lang == "en" else zh)
    family = _guests(registry, ["501", "501", "501"])
    [alone] = _guests(registry, ["502"], start=3)
    views = {v.id: v for v in registry.registrations()}
    first = views[family[0]]
    app = _app(registry, private_home, clock, lang)
    async with app.run_test(size=size, notifications=True) as pilot:
        await _to_question(app, pilot, "501")
        chosen = app.screen.view
        others = [views[i].name for i in family if i != chosen.id]
        for name in others:  # the question names the others in the room...
            assert _sees(app, name), _shown(app)
        assert _sees(app, say("整个房间 3 人一起离开", "The whole room: all 3 leave"))
        assert app.focused is app.screen.query_one("#departure-scope")  # ...and asks who leaves
        await _press(app, pilot, "down", "enter")  # the whole room; Enter takes it and goes to the time
        assert app.focused is app.screen.query_one("#departure-at")
        assert _sees(app, say("确认 3 人离开", "Check out all 3")), _shown(app)
        await _press(app, pilot, "enter")
        assert app.focused is app.screen.query_one("#departure-confirm")
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, DepartureScreen)
        assert _present(registry) == {alone}
        await _press(app, pilot, "escape")
        assert isinstance(app.screen, HomeScreen)
        assert _sees(app, say("现在在住 1 人", "Here now: 1")), _shown(app)
        await _press(app, pilot, "ctrl+z")  # on the home screen, the last check-out: the whole room
        assert isinstance(app.screen, UndoDepartureModal)
        for i in family:
            assert _sees(app, views[i].name) and _sees(app, views[i].doc_masked), _shown(app)
        assert _sees(app, "501") and _sees(app, first.doc_masked)
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, HomeScreen)
        assert _sees(app, say("现在在住 4 人", "Here now: 4")), _shown(app)
    assert _present(registry) == {*family, alone}
    assert _events(registry)[-6:] == ["departure"] * 3 + ["departure_cancelled"] * 3


async def test_only_the_chosen_person_leaves_unless_the_room_is_chosen(registry, private_home, clock):
    family = _guests(registry, ["501", "501"])
    app = _app(registry, private_home, clock, "zh")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _to_question(app, pilot, "501")
        chosen = app.screen.view.id
        await _press(app, pilot, "enter", "enter", "enter")  # Enter through: the choice as offered, time, confirm
        assert isinstance(app.screen, DepartureScreen)
    assert _present(registry) == set(family) - {chosen}


async def test_a_stray_ctrl_z_writes_nothing_and_says_when_there_is_nothing_to_undo(registry, private_home, clock):
    [guest] = _guests(registry, ["301"])
    app = _app(registry, private_home, clock, "zh")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _press(app, pilot, "ctrl+z")
        assert isinstance(app.screen, HomeScreen)
        assert _sees(app, "没有可以撤销的离开"), _shown(app)
        await _to_question(app, pilot, "301")
        await _press(app, pilot, "enter", "enter")
        await _press(app, pilot, "ctrl+z", "escape")  # asked, then left: the check-out stands
        assert isinstance(app.screen, DepartureScreen)
    assert _present(registry) == set()
    assert _events(registry)[-1] == "departure"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_after_15_minutes_the_undo_is_refused_in_the_registers_words(registry, private_home, clock, lang):
    [guest] = _guests(registry, ["301"])
    app = _app(registry, private_home, clock, lang)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _to_question(app, pilot, "301")
        await _press(app, pilot, "enter", "enter")
        clock.now = NOW + timedelta(minutes=16)
        await _press(app, pilot, "ctrl+z")
        assert isinstance(app.screen, DepartureScreen)  # nothing to confirm: it cannot be undone
        assert _sees(app, "15 minutes ago" if lang == "en" else "不能撤销"), _shown(app)
    assert _present(registry) == set()


async def test_a_departed_persons_screen_offers_the_undo_while_it_is_possible(registry, private_home, clock):
    [guest, other] = _guests(registry, ["301", "302"])
    app = _app(registry, private_home, clock, "zh")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _to_question(app, pilot, "301")
        await _press(app, pilot, "enter", "enter", "escape")
        await _press(app, pilot, "f4", *"301", "enter", "enter")  # People: the guest's screen
        assert isinstance(app.screen, PersonScreen) and app.screen.view.id == guest
        assert _sees(app, "离开刚办理：按 Ctrl+Z 可撤销（14:45 前）"), _shown(app)
        await _press(app, pilot, "ctrl+z")
        assert isinstance(app.screen, UndoDepartureModal)
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, PersonScreen)
        assert not _sees(app, "Ctrl+Z 可撤销") and _sees(app, "在住"), _shown(app)
        await _press(app, pilot, "escape")  # the people list beneath shows the guest present again
        assert app.screen.query_one("#people-list").views[guest].present
        await _press(app, pilot, "escape", "ctrl+z")  # home: the undone check-out is not offered again
        assert _sees(app, "没有可以撤销的离开"), _shown(app)
    assert _present(registry) == {guest, other}


async def test_a_persons_screen_passes_on_the_registers_refusal_of_a_late_undo(registry, private_home, clock):
    [guest] = _guests(registry, ["301"])
    assert registry.depart(guest).ok  # recorded at another desk: this one does not know when
    clock.now = NOW + timedelta(minutes=20)
    app = _app(registry, private_home, clock, "en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _press(app, pilot, "f4", *"301", "enter", "enter")
        assert isinstance(app.screen, PersonScreen)
        assert not _sees(app, "Ctrl+Z")
        await _press(app, pilot, "ctrl+z")
        assert isinstance(app.screen, UndoDepartureModal)
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, PersonScreen)
        assert _sees(app, "15 minutes ago"), _shown(app)
    assert _present(registry) == set()


@pytest.mark.parametrize(("lang", "size"), SIZES, ids=IDS)
async def test_a_check_out_more_than_72_hours_back_asks_for_the_reason_only_then(
        registry, private_home, clock, lang, size):
    say = (lambda zh, en: en if lang == "en" else zh)
    [late, recent] = _guests(registry, ["301", "302"])
    rule = say("已超过72小时", "more than 72 hours ago")
    clock.now = NOW + timedelta(days=5)  # the clerk records departures of days ago
    app = _app(registry, private_home, clock, lang)
    async with app.run_test(size=size, notifications=True) as pilot:
        await _to_question(app, pilot, "302")
        time_field = app.screen.query_one("#departure-at")
        await _press(app, pilot, *["backspace"] * 16, *"2025-05-04 12:00", "enter")  # 2 days back: no reason
        assert not _sees(app, rule) and app.focused is app.screen.query_one("#departure-confirm")
        await _press(app, pilot, "enter")
        assert _present(registry) == {late}

        await _press(app, pilot, "escape")
        await _to_question(app, pilot, "301")
        time_field = app.screen.query_one("#departure-at")
        await _press(app, pilot, *["backspace"] * 16, *"2025-05-01 18:00", "enter")  # 5 days back
        assert time_field.value == "2025-05-01 18:00"
        assert _sees(app, rule), _shown(app)  # the rule, in the clerk's language
        assert app.focused is app.screen.query_one("#departure-reason")
        await _press(app, pilot, "enter")  # no reason: asked for, nothing written
        assert isinstance(app.screen, DepartureModal) and _sees(app, say("请写迟报原因", "Give the reason"))
        await _press(app, pilot, *"night shift forgot", "enter")
        assert app.focused is app.screen.query_one("#departure-confirm")
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, DepartureScreen)
    assert _present(registry) == set()
    with registry.store.read() as session:
        last = session.exec(select(Event).order_by(Event.seq.desc())).first()  # type: ignore[attr-defined]
    data = registry.event_payload(last)
    assert data["late_reason"] == "night shift forgot"
    assert datetime.fromisoformat(data["departed_at"]) == datetime(2025, 5, 1, 18, 0, tzinfo=CHINA_TIME)


async def test_a_room_that_changed_since_the_list_was_read_is_not_checked_out(registry, private_home, clock):
    family = _guests(registry, ["501", "501"])
    app = _app(registry, private_home, clock, "zh")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _to_question(app, pilot, "501")
        [newcomer] = _guests(registry, ["501"], start=5)  # checked in at another desk meanwhile
        await _press(app, pilot, "down", "enter", "enter", "enter")
        assert isinstance(app.screen, DepartureScreen)
        assert _sees(app, "501 房的住客刚有变化"), _shown(app)
        assert newcomer in app.screen.query_one("#present").views  # the list is read again
    assert _present(registry) == {*family, newcomer}


def test_the_sessions_recent_check_outs_offer_the_newest_undoable_and_forget_what_was_undone(registry):
    from tui.departures import RecentDeparture, RecentDepartures

    ids = _guests(registry, ["501", "501", "502"])
    views = {v.id: v for v in registry.registrations()}
    recent = RecentDepartures()
    room = RecentDeparture((views[ids[0]], views[ids[1]]), NOW, whole_room=True)
    single = RecentDeparture((views[ids[2]],), NOW + timedelta(minutes=10))
    recent.add(room)
    recent.add(single)
    assert recent.latest_undoable(NOW + timedelta(minutes=12)) is single
    assert recent.latest_undoable(NOW + timedelta(minutes=16)) is single  # the room's 15 minutes are over
    assert recent.latest_undoable(NOW + timedelta(minutes=26)) is None
    assert recent.latest().too_late(NOW + timedelta(minutes=26)).code == "departure.undo_too_late"
    recent.forget({ids[2], ids[0]})  # one of the room was undone at a person's screen
    assert recent.latest().ids == (ids[1],) and recent.of(ids[1]).whole_room
    assert recent.of(ids[0]) is None

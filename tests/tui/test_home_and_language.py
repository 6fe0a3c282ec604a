"""The app shell: home screen, language switch, F1 help, theme, against a real store."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from textual.widgets import Static

from agent.domain import CHINA_TIME
from agent.home.config import load_config
from tui.preferences import load_preferences
from tui.screens.help_modal import HelpModal
from tui.screens.home_screen import HomeScreen
from tui.widgets.people_table import PeopleTable

NOW = datetime(2025, 5, 1, 14, 30, tzinfo=CHINA_TIME)  # the clock of `make_app`


async def test_home_shows_who_is_here_and_the_delivery_line(hotel_registry, make_app, seed_guests, screen_text):
    seed_guests(hotel_registry, 3)
    hotel_registry.depart(hotel_registry.registrations()[0].id, at=NOW, late_reason="补录")  # far back: a reason
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#present", PeopleTable).row_count == 2
        text = screen_text(app)
        assert "现在在住 2 人" in text
        assert "平台：未连接" in text and "待上传 4" in text
        assert "今天到达 3 人，离开 1 人" in text
        assert "测试宾馆" in text and "2025-05-01 14:30" in text


@pytest.mark.parametrize(("lang", "size", "said"), [
    ("zh", (80, 24), "没有上报给公安机关"), ("en", (80, 24), "Nothing is being reported"),
    ("zh", (60, 20), "没有上报"), ("en", (60, 20), "Not reported"),  # one line on a low terminal
])
async def test_an_unenrolled_machine_says_at_the_top_that_nothing_is_reported_and_what_to_do(
        hotel_registry, make_app, seed_guests, screen_text, lang, size, said):
    seed_guests(hotel_registry, 1)
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        banner = app.screen.query_one("#not-reporting", Static)
        assert banner.display
        drawn = " ".join(screen_text(app).split())
        assert said in drawn
        assert "F6" in drawn
        if size[1] >= 24:
            assert "派出所" in drawn if lang == "zh" else "police station" in drawn
        whole = " ".join(str(banner.render()).split())  # every word of the warning is on the screen
        assert whole.replace(" ", "") in drawn.replace(" ", "")


def test_the_warning_names_each_way_reports_stop(hotel_registry) -> None:
    from agent.register.delivery import DeliveryState
    from tui.home_facts import HomeFacts, not_reporting

    waiting = {"pending": 3, "in_flight": 0}
    unenrolled = HomeFacts(outbox=waiting, delivery=DeliveryState(enrolled=False))
    assert "not enrolled" in not_reporting(unenrolled, NOW, "en")
    nobody = HomeFacts(outbox=waiting, delivery=DeliveryState(enrolled=True, sender=None), connected=False)
    assert "dengji service install" in not_reporting(nobody, NOW, "zh")
    offline = HomeFacts(outbox=waiting, connected=True,
                        delivery=DeliveryState(enrolled=True, sender="this process", platform_reachable=False,
                                               last_success=NOW - timedelta(hours=30)))
    assert "30 小时" in not_reporting(offline, NOW, "zh")
    flowing = HomeFacts(outbox=waiting, connected=True,
                        delivery=DeliveryState(enrolled=True, sender="this process", platform_reachable=False,
                                               last_success=NOW - timedelta(hours=2)))
    assert not_reporting(flowing, NOW, "en") is None  # a short outage is only the delivery line's business
    assert not_reporting(HomeFacts(outbox={}, delivery=DeliveryState(enrolled=True)), NOW, "en") is None


async def test_a_row_drawn_before_the_table_measured_it_is_drawn_again_at_full_width(hotel_registry, make_app,
                                                                                    seed_guests) -> None:
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#present", PeopleTable)  # empty: its columns as wide as the headers
        seed_guests(hotel_registry, 2)
        views = hotel_registry.registrations()
        table.show(views)
        early = table.render_line(1).text  # a frame drawn before the table is next idle
        await pilot.pause()  # idle: the table measures its rows
        masked = views[0].doc_masked
        assert masked not in early  # what a loaded machine showed until the next key press
        assert masked in table.render_line(1).text


async def test_language_switches_at_any_time_and_is_remembered(hotel_registry, make_app, screen_text, private_home):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "首页" in screen_text(app)
        await pilot.press("f2")  # into the register form, then switch there
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "Guest check-in" in text and "Document type" in text and "Ctrl+S Save" in text
        await pilot.press("escape")  # home was built in Chinese: it follows the switch on return
        await pilot.pause()
        text = screen_text(app)
        assert "Here now: 0" in text and "Platform: not connected" in text and "F2 Register" in text
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "现在在住 0 人" in screen_text(app)
    assert load_config(private_home).lang == "zh"


async def test_f1_lists_every_key_of_the_current_screen(hotel_registry, make_app, screen_text):
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        text = screen_text(app)
        for key, name in (("Ctrl+S", "Save"), ("Esc", "Back"), ("Enter", "Next field"), ("F9", "中文"),
                          ("Ctrl+L", "Lock the screen"), ("Space", "Open the list")):
            assert key in text and name in text, (key, name)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpModal)


async def test_theme_toggles_between_dark_and_light_and_is_saved(hotel_registry, make_app, private_home):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        assert app.theme == "textual-light"
    assert load_preferences(private_home).theme == "textual-light"


async def test_home_menu_opens_each_task_with_enter_and_f_keys(hotel_registry, make_app):
    from tui.screens.departure_screen import DepartureScreen
    from tui.screens.people_screen import PeopleScreen
    from tui.screens.register_screen import RegisterScreen
    from tui.screens.settings_screen import SettingsScreen

    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # the menu has the focus, first item: register
        assert isinstance(app.screen, RegisterScreen)
        await pilot.press("escape")
        for key, screen in (("f3", DepartureScreen), ("f4", PeopleScreen), ("f6", SettingsScreen)):
            await pilot.press(key)
            assert isinstance(app.screen, screen), key
            await pilot.press("escape")
            assert isinstance(app.screen, HomeScreen)


async def test_home_paints_first_and_opens_the_store_behind_it(hotel_registry, make_app, seed_guests, screen_text):
    seed_guests(hotel_registry, 2)
    app = make_app(None)
    app.session.open_registry = lambda: hotel_registry
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "现在在住 2 人" in screen_text(app) and "测试宾馆" in screen_text(app)


async def test_a_first_run_opened_lazily_goes_to_the_wizard(make_app):
    from tui.screens.setup_screen import SetupScreen

    app = make_app(None)
    app.session.open_registry = lambda: None
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)


async def test_home_shows_reminders_and_the_daily_report(hotel_registry, make_app, screen_text):
    from datetime import UTC, timedelta

    from agent.cli.demo_people import sample_registration

    late = sample_registration(40, "stay", "2025-05-01 08:00", unit="310")
    late["expected_departure"] = "2025-05-01 12:00"  # before the app's clock: past the check-out
    assert hotel_registry.register(late).ok
    two_days_on = datetime.now(UTC) + timedelta(days=2)
    yesterday = (two_days_on.astimezone(CHINA_TIME) - timedelta(days=1)).strftime("%Y-%m-%d")
    assert len(hotel_registry.report_no_arrivals(two_days_on)) == 2
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "已过预计离店时间 1" in text
        assert f"无入住上报 {yesterday}\n   待上报" in text  # two whole lines, no phrase broken


@pytest.mark.parametrize(("lang", "more"), [("zh", "另有 1 人"), ("en", "and 1 more")])
async def test_each_reminder_says_who_it_is_about(hotel_registry, make_app, screen_text, lang, more):
    """A landlord reads who a reminder is about, not only how many: the first two by room and name."""
    from agent.cli.demo_people import sample_registration

    for n, unit in enumerate(("310", "311", "312")):
        late = sample_registration(40 + n, "stay", "2025-05-01 08:00", unit=unit)
        late["expected_departure"] = "2025-05-01 12:00"  # before the app's clock: past the check-out
        assert hotel_registry.register(late).ok
    names = {view.unit: view.name for view in hotel_registry.registrations()}
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert f"310 {names['310']}" in text and f"311 {names['311']}" in text
        assert more in text

"""First run (the setup wizard creates the encrypted store, the venue and the owner), settings, the lock
screen as the operators' login."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from agent.cli.demo_people import sample_registration
from agent.duties.operators import add_operator, authenticate, list_operators
from agent.home.config import load_config
from agent.register.delivery import DeliveryState
from agent.register.registry import Registry
from agent.store import audit
from agent.store.opening import open_store
from agent.validation import Problem
from tui.preferences import Preferences, load_preferences
from tui.screens.home_screen import HomeScreen
from tui.screens.lock_modal import LockModal
from tui.screens.setup_screen import SetupScreen


@dataclass
class RecordingDelivery:
    """The sending side as the screens see it (agent.register.delivery.Delivery), recording what was asked:
    the uploader that implements it for real is not part of this tree yet."""

    enrolled_with: list[tuple[str, str, str | None]] = field(default_factory=list)
    refuse: bool = False

    def state(self) -> DeliveryState:
        return DeliveryState(enrolled=bool(self.enrolled_with), platform_reachable=True, sender="this process")

    async def enroll(self, code: str, platform_url: str, ca_file: str | None = None, *,
                     fingerprint: str | None = None) -> Problem | None:
        if self.refuse:
            return Problem("enroll.code", "注册码无效或已用过", "the enrollment code is not valid or was used")
        self.enrolled_with.append((code, platform_url, fingerprint))
        return None

    def send_soon(self) -> None:
        pass


async def _type_into(app, pilot, widget_id: str, text: str) -> None:
    app.screen.query_one(f"#{widget_id}").focus()
    await pilot.press(*text)


async def test_the_wizard_creates_the_store_venue_and_owner(make_app, private_home, screen_text):
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SetupScreen)
        assert "场所类型" in screen_text(app)
        await pilot.press("space", "down", "enter")  # open the list, pick 旅馆 (hotel)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.form.kind == "hotel" and app.screen.form.step == 1
        await _type_into(app, pilot, "s-name", "郑州客栈")
        credit = app.screen.query_one("#s-credit_code")
        credit.focus()
        credit.value = "91350100M000100Y4"  # one character short
        await pilot.pause()
        await pilot.press("tab")
        await pilot.pause()
        assert app.screen.query_one("#row-s-credit_code").has_class("-invalid")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.form.step == 1 and not (private_home / "dengji.sqlite3").exists()
        app.screen.query_one("#s-credit_code").value = ""
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.form.step == 2, screen_text(app)
        await pilot.press("ctrl+s")  # no Delivery in this program: it says so rather than failing
        await pilot.pause()
        assert "未连接平台" in screen_text(app)
        app.screen.query_one("#skip").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.form.step == 3
        assert app.screen.focused.id == "pin-name" and app.screen.focused.value == "店主"
        app.screen.focused.value = "王老板"
        await pilot.press("enter", *"2468", "enter", *"2468", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "郑州客栈" in screen_text(app)
        assert app.session.accounts and app.session.registry.operator == "王老板"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockModal) and "王老板" in screen_text(app)
    store = open_store(private_home)
    try:
        venue = Registry(store).venue()
        assert venue is not None and (venue.kind, venue.name, venue.credit_code) == ("hotel", "郑州客栈", None)
        assert [(o.name, o.role) for o in list_operators(store)] == [("王老板", "owner")]
        assert authenticate(store, "王老板", "2468").ok
    finally:
        store.dispose()
    assert (private_home / "config.toml").exists()


async def test_enter_on_the_focused_next_button_moves_the_wizard_on(make_app, private_home, screen_text):
    """What a landlord does: Tab to 下一步 and press Enter (it did nothing: the press never ran the step)."""
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "enter")  # open the list, keep the first: 出租房屋 (a landlord)
        app.screen.query_one("#next").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.form.step == 1 and app.screen.form.kind == "rental"
        await _type_into(app, pilot, "s-name", "幸福公寓")
        app.screen.query_one("#next").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.form.step == 2, screen_text(app)
    assert (private_home / "dengji.sqlite3").exists()


async def test_the_enrollment_step_uses_the_injected_delivery(make_app, private_home, screen_text):
    delivery = RecordingDelivery(refuse=True)
    app = make_app(None)
    app.session.delivery = delivery
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await _type_into(app, pilot, "s-name", "幸福公寓")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.form.step == 2
        app.screen.query_one("#platform-url").value = "https://platform.example.cn"
        await _type_into(app, pilot, "enroll-code", "ABCD-1234")
        await pilot.press("enter")  # on to the fingerprint
        await pilot.press(*"3F9A-QK2M-7TXC-0H5R", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "注册码无效" in screen_text(app) and app.screen.form.step == 2
        delivery.refuse = False
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.form.step == 3
    assert delivery.enrolled_with == [("ABCD-1234", "https://platform.example.cn", "3F9A-QK2M-7TXC-0H5R")]
    assert load_config(private_home).platform_url == "https://platform.example.cn"


async def test_the_lock_screen_logs_operators_in_and_attributes_their_work(hotel_registry, make_app, screen_text):
    store = hotel_registry.store
    add_operator(store, "老板", "owner", "2468", actor=None)
    add_operator(store, "小王", "clerk", "1357", actor="老板")
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LockModal)  # accounts exist: someone logs in first
        text = screen_text(app)
        assert "已锁定" in text and "现在在住" not in text  # nothing of the register shows through
        await pilot.press("escape", "f2")  # neither gets past the lock
        assert isinstance(app.screen, LockModal)
        app.screen.query_one("#lock-operator").value = "小王"
        app.screen.query_one("#lock-pin").focus()
        await pilot.press(*"2468", "enter")  # the owner's PIN is not 小王's
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LockModal) and "还可再试 2 次" in screen_text(app)
        await pilot.press(*"1357", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.session.registry.register(sample_registration(1, "stay", "2025-05-01 10:00")).ok
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.screen.query_one("#lock-operator").value == "小王"  # the last one is offered first
    actions = [(e.action, e.operator) for e in audit.entries(store)]
    assert actions[-3:] == [("login_failed", "小王"), ("login", "小王"), ("registration", "小王")]


async def test_wrong_pins_make_the_lock_screen_wait(hotel_registry, make_app, screen_text):
    add_operator(hotel_registry.store, "老板", "owner", "2468", actor=None)
    app = make_app(hotel_registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(3):
            await pilot.press(*"1111", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert "too many wrong PINs" in screen_text(app)
        await pilot.press(*"2468", "enter")  # the right PIN, but the wait is not over
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LockModal) and "too many wrong PINs" in screen_text(app)


async def test_idle_time_locks_only_when_there_are_accounts(hotel_registry, make_app):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        app.last_activity = time.monotonic() - 3600
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # no accounts: never locks
        add_operator(hotel_registry.store, "老板", "owner", "2468", actor=None)
        app.session.accounts = True
        app.session.preferences = Preferences(idle_minutes=5)
        app.last_activity = time.monotonic() - 4 * 60
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # 4 of 5 minutes
        app.last_activity = time.monotonic() - 5 * 60
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockModal)


async def test_settings_create_the_owner_then_change_the_pin_and_the_idle_time(hotel_registry, make_app,
                                                                              private_home):
    app = make_app(hotel_registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#idle").value = "10"
        await _type_into(app, pilot, "pin", "8642")
        await pilot.press("enter", *"8642", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.accounts and app.session.operator == "店主"
        await app.screen.recompose()  # Settings as it shows now: the logged-in operator's own PIN
        assert not app.screen.query("#pin-name")
        await _type_into(app, pilot, "pin", "9753")
        await pilot.press("enter", *"9753", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert load_preferences(private_home).idle_minutes == 10
    store = hotel_registry.store
    assert authenticate(store, "店主", "9753").ok
    settings = [e.as_dict()["detail"] for e in audit.entries(store) if e.action == "setting"]
    assert {"name": "idle_minutes", "value": 10} in settings
    assert [e.action for e in audit.entries(store)][-3:] == ["operator_added", "pin_changed", "login"]


async def test_a_landlord_without_a_keyring_sets_the_passphrase_in_the_wizard_and_unlocks_with_it(
        private_home, monkeypatch, screen_text):
    """No OS keyring and no DENGJI_PASSPHRASE: the TUI asks for the passphrase itself (twice, with its
    rule), makes the register with it, and asks for it at the next start; a wrong one is said and asked
    again. Only Enter, Tab and typing, on the entry the CLI uses (lazy opening)."""
    from agent.secrets.keystore import os_keyring_usable
    from tui.app import DengjiApp
    from tui.screens.passphrase_modal import PassphraseModal
    from tui.session import TuiSession

    if os_keyring_usable():
        pytest.skip("this machine has an OS keyring: the key is kept there and no passphrase is asked")
    monkeypatch.delenv("DENGJI_PASSPHRASE")
    passphrase = "门前大桥下 2468"

    def landlord_app() -> DengjiApp:
        return DengjiApp(TuiSession(home=private_home, registry=None, lazy_open=True))

    app = landlord_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("space", "enter")  # 出租房屋
        app.screen.query_one("#next").focus()
        await pilot.press("enter")
        await pilot.pause()
        await _type_into(app, pilot, "s-name", "幸福公寓")
        app.screen.query_one("#next").focus()
        await pilot.press("enter")
        for _ in range(3):  # the question's first frames lay its text out; then it shows whole
            await pilot.pause()
        assert isinstance(app.screen, PassphraseModal) and "至少 10" in screen_text(app)
        await pilot.press(*"short", "enter")
        await pilot.pause()
        assert "口令至少 10 个字符" in screen_text(app)
        app.screen.query_one("#passphrase-1").value = passphrase
        await pilot.press("enter", *passphrase, "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen) and app.screen.form.step == 2, screen_text(app)
        assert (private_home / "keys.enc").exists()
        app.screen.query_one("#skip").focus()
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#pin-none").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and "幸福公寓" in screen_text(app)

    app = landlord_app()  # the next morning
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PassphraseModal)
        await pilot.press(*"a wrong passphrase", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PassphraseModal) and "口令不对" in screen_text(app)
        await pilot.press(*passphrase, "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and "幸福公寓" in screen_text(app)
    assert "DENGJI_PASSPHRASE" not in (private_home / "config.toml").read_text()

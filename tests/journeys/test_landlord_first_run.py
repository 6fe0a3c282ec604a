"""A landlord's first run: an empty home, no OS keyring, no DENGJI_* variables, to a registered tenant;
then the next start, unlocked by the passphrase typed on screen. Keys and reading only."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli.demo_people import resident_id_for
from agent.cli.terminal_ui import tui_app
from agent.domain import CHINA_TIME
from agent.register.opening import open_register
from tests.journeys.hands import Hands

PASSPHRASE = "门前大桥下 2468"
KEYS_AFTER_WIZARD = 60  # the target: under 60 keystrokes from the home screen to a saved tenant
SECONDS_PER_KEY = 1.0  # a steady, unhurried pace for the three-minute target


def _words(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


async def test_a_landlord_sets_up_registers_a_tenant_and_unlocks_the_next_day(
        private_home: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int],
        record_property) -> None:  # type: ignore[no-untyped-def]
    from agent.secrets.keystore import os_keyring_usable

    if os_keyring_usable():
        pytest.skip("this machine has an OS keyring: the key is kept there and no passphrase is asked")
    monkeypatch.delenv("DENGJI_PASSPHRASE")
    say = (lambda zh, en: _words(lang, zh, en))
    number, _, _ = resident_id_for(7)
    cuts: list[str] = []

    app = tui_app(private_home, lang)
    async with app.run_test(size=size) as pilot:
        hands = Hands(app, pilot)
        await hands.settle()
        assert hands.sees(say("请先选择您的场所类型", "First choose the kind of venue")), hands.screen()
        cuts += hands.cut_texts()
        # Step 1: the kind. Rental housing is what the list shows first; the landlord goes on.
        assert hands.sees(say("出租房屋", "Rental housing"))
        await hands.tab_to("next")
        await hands.press("enter")
        # Step 2: the details. The name is required; the rest may wait.
        assert hands.sees(say("请填写场所信息", "The venue's details")), hands.screen()
        cuts += hands.cut_texts()
        await hands.type("幸福公寓")
        await hands.press("enter")
        await hands.tab_to("next")
        await hands.press("enter")
        # The register is encrypted: a passphrase, typed twice, with why it matters.
        assert hands.sees(say("至少 10", "at least 10")), hands.screen()
        assert hands.sees(say("备份", "backup"))
        cuts += hands.cut_texts()
        await hands.type(PASSPHRASE)
        await hands.press("enter")
        await hands.type(PASSPHRASE)
        await hands.press("enter")
        # Step 3: the platform can wait (no code from the police station yet).
        assert hands.sees(say("连接公安机关的平台", "Connect to the police platform")), hands.screen()
        cuts += hands.cut_texts()
        await hands.tab_to("skip")
        await hands.press("enter")
        # Step 4: no PIN on a landlord's own computer.
        assert hands.sees(say("建立店主账号", "Create the owner's account")), hands.screen()
        cuts += hands.cut_texts()
        await hands.tab_to("pin-none")
        await hands.press("enter")
        assert hands.sees("幸福公寓") and hands.sees(say("登记新到人员", "Register an arrival")), hands.screen()
        # not enrolled: said plainly (in one line on a low terminal)
        assert hands.sees(say("没有上报", "Nothing is being reported" if size[1] >= 24 else "Not reported"))
        cuts += hands.cut_texts()
        wizard_keys = hands.keys

        # The tenant, typed by hand (no card reader), from the home screen's first menu entry.
        await hands.press("enter")
        assert hands.sees(say("租客登记", "Tenant registration")), hands.screen()
        cuts += hands.cut_texts()
        await hands.press("enter")  # the scan box: Enter types by hand
        await hands.press("enter")  # document type: a resident ID, already chosen
        await hands.type(number)
        await hands.press("enter")
        await hands.type("赵敏")
        await hands.press("enter")
        await hands.tab_to("f-person--phone")  # sex and birth date came from the number; the rest may wait
        await hands.type("13912345678")
        await hands.tab_to("f-unit")
        await hands.type("3-502")
        await hands.tab_to("f-expected_departure")
        await hands.type("2027-6-5")
        cuts += hands.cut_texts()
        await hands.press("ctrl+s")
        assert hands.sees(say("现在在住 1 人", "Here now: 1")), hands.screen()
        assert hands.sees("3-502") and hands.sees("赵敏")
        tenant_keys = hands.keys - wizard_keys

    record_property("keys_wizard", wizard_keys)
    record_property("keys_tenant", tenant_keys)
    print(f"\n[{lang} {size[0]}x{size[1]}] wizard {wizard_keys} keys, tenant {tenant_keys} keys, "
          f"{hands.keys * SECONDS_PER_KEY / 60:.1f} min at {SECONDS_PER_KEY:g} s a key")
    assert tenant_keys < KEYS_AFTER_WIZARD
    assert hands.keys * SECONDS_PER_KEY < 180

    app = tui_app(private_home, lang)  # the next morning
    async with app.run_test(size=size) as pilot:
        hands = Hands(app, pilot)
        await hands.settle()
        assert hands.sees(say("口令", "passphrase")), hands.screen()
        cuts += hands.cut_texts()
        await hands.type("a wrong passphrase")
        await hands.press("enter")
        assert hands.sees(say("口令不对", "wrong")), hands.screen()
        await hands.type(PASSPHRASE)
        await hands.press("enter")
        assert hands.sees("赵敏") and hands.sees("3-502"), hands.screen()
        cuts += hands.cut_texts()
    assert "DENGJI_PASSPHRASE" not in (private_home / "config.toml").read_text()
    monkeypatch.setenv("DENGJI_PASSPHRASE", PASSPHRASE)
    registry = open_register(private_home)
    [tenant] = registry.registrations()
    assert (tenant.unit, tenant.name, tenant.kind) == ("3-502", "赵敏", "tenancy")
    assert tenant.expected_departure is not None
    assert tenant.expected_departure.astimezone(CHINA_TIME).date().isoformat() == "2027-06-05"
    registry.store.dispose()
    assert not cuts, "\n".join(cuts)

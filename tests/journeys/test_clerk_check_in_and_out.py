"""A hotel clerk at the desk: a guest checked in with a mistyped ID number that the form catches and the
clerk fixes, then the guest's check-out with its confirmation. Keys and reading only."""

from __future__ import annotations

from pathlib import Path

from agent.cli.demo_people import resident_id_for
from agent.cli.terminal_ui import tui_app
from agent.register.registry import Registry
from agent.store.opening import open_store
from tests.journeys.hands import Hands


def _mistyped(number: str) -> str:
    """The number with its 17th character changed: the check character no longer fits."""
    wrong = str((int(number[16]) + 1) % 10)
    return number[:16] + wrong + number[17:]


async def test_a_clerk_fixes_a_mistyped_id_then_checks_the_guest_out(
        hotel_registry: Registry, private_home: Path, lang: str, size: tuple[int, int]) -> None:
    say = (lambda zh, en: en if lang == "en" else zh)
    number, _, _ = resident_id_for(23)
    hotel_registry.store.dispose()  # the desk's program opens the register itself
    cuts: list[str] = []

    app = tui_app(private_home, lang)
    async with app.run_test(size=size) as pilot:
        hands = Hands(app, pilot)
        await hands.settle()
        assert hands.sees("测试宾馆"), hands.screen()
        await hands.press("f2")
        assert hands.sees(say("刷卡/扫描", "Scan")), hands.screen()
        cuts += hands.cut_texts()
        await hands.press("enter")  # no card reader at this desk: type by hand
        await hands.press("enter")  # a resident ID, already chosen
        await hands.type(_mistyped(number))
        await hands.press("enter")
        said = say("校验", "check")
        assert hands.sees(said), hands.screen()  # the form says the number is wrong...
        cuts += hands.cut_texts()
        await hands.press("shift+tab")  # ...the clerk goes back and fixes the last two characters
        await hands.press("backspace", "backspace")
        await hands.type(number[16:])
        await hands.press("enter")
        assert not hands.sees(said), hands.screen()
        await hands.type("钱多多")
        await hands.tab_to("f-unit")
        await hands.type("305")
        await hands.press("ctrl+s")
        assert hands.sees(say("现在在住 1 人", "Here now: 1")), hands.screen()
        check_in_keys = hands.keys

        await hands.press("f3")
        assert hands.sees(say("办理离开", "Departure")), hands.screen()
        cuts += hands.cut_texts()
        await hands.type("305")
        await hands.press("enter")  # to the list, the one guest of room 305 chosen
        await hands.press("enter")  # the question: who, and when
        assert hands.sees("钱多多") and hands.sees("305"), hands.screen()
        assert hands.sees(number[:6]) and not hands.sees(number), hands.screen()  # the number masked
        cuts += hands.cut_texts()
        await hands.press("enter")  # the time is now: Enter goes to the confirming button
        assert hands.focused_id() == "departure-confirm"
        await hands.press("enter")
        await hands.press("escape")
        assert hands.sees(say("现在在住 0 人", "Here now: 0")), hands.screen()
        print(f"\n[{lang} {size[0]}x{size[1]}] check-in with a fix {check_in_keys} keys, "
              f"check-out {hands.keys - check_in_keys} keys")

    registry = Registry(open_store(private_home))
    [guest] = registry.registrations()
    assert (guest.name, guest.unit, guest.present) == ("钱多多", "305", False)
    assert registry.find_by_document("resident_id", number)[0].id == guest.id
    registry.store.dispose()
    assert not cuts, "\n".join(cuts)

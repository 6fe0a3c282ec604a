"""A family of four at a hotel's desk (issue 18 item 1): each lays their ID card on the reader in turn,
the clerk types the room and saves, card after card into one room; at the end of the stay the whole room
is checked out at once - and, the clerk having chosen the room by mistake, undone at once too.

The desk's reader is the simulated one on a real pseudo-terminal, named in config.toml as an operator
names it; the app is started as `dengji` starts it. Laying a card down is the guest's act, not a key;
every key the clerk presses is counted, and the pilot's seconds for the family are printed (issue 18's
figure for the note).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from agent.cardreader.samples import SAMPLE_CARDS
from agent.cli.terminal_ui import tui_app
from agent.home.config import load_config, save_config
from agent.register.registry import Registry
from agent.store.opening import open_store
from tests.journeys.hands import Hands

if os.name != "posix":
    pytest.skip("the simulated reader needs a POSIX pseudo-terminal", allow_module_level=True)

from agent.cardreader.frames import Command  # noqa: E402
from agent.cardreader.simulated import SimulatedReader  # noqa: E402 - POSIX only

FAMILY = ("resident_id_father", "resident_id_mother", "resident_id", "resident_id_sister")
ROOM = "501"


@pytest.fixture
def reader(private_home: Path) -> Iterator[SimulatedReader]:
    """The desk's reader at the real wire rate, its port in config.toml (`reader_port`)."""
    with SimulatedReader().start() as simulated:
        save_config(private_home, replace(load_config(private_home), reader_port=simulated.port))
        yield simulated


async def _lift(reader: SimulatedReader) -> None:
    """The guest takes the card back; the reader has seen it gone (two rounds without a card)."""
    reader.lift_card()
    finds = reader.count(Command.FIND_CARD)
    assert await asyncio.to_thread(reader.wait_for_command, Command.FIND_CARD, finds + 3)


async def test_a_family_of_four_checked_in_card_after_card_and_out_as_a_room(
        hotel_registry: Registry, private_home: Path, reader: SimulatedReader, lang: str,
        size: tuple[int, int]) -> None:
    say = (lambda zh, en: en if lang == "en" else zh)
    names = [SAMPLE_CARDS[key].name for key in FAMILY]
    hotel_registry.store.dispose()  # the desk's program opens the register itself
    cuts: list[str] = []

    app = tui_app(private_home, lang)
    async with app.run_test(size=size, notifications=True) as pilot:
        hands = Hands(app, pilot)
        await hands.settle()
        assert await app.card_reading.settled()
        assert hands.sees(say("现在在住 0 人", "Here now: 0")), hands.screen()
        started = time.perf_counter()
        for count, key in enumerate(FAMILY, 1):
            reader.place_card(key)  # at the home screen: the register form opens, filled from the card
            assert await app.card_reading.wait_for(lambda n=count: app.card_reading.cards_read >= n)
            await hands.settle()
            assert hands.sees(SAMPLE_CARDS[key].name) and hands.focused_id() == "f-unit", hands.screen()
            cuts += hands.cut_texts()
            await hands.type(ROOM)
            await hands.press("ctrl+s")
            assert hands.sees(say(f"现在在住 {count} 人", f"Here now: {count}")), hands.screen()
            await _lift(reader)
        check_in = (hands.keys, time.perf_counter() - started)

        started, keys_before = time.perf_counter(), hands.keys
        await hands.press("f3")
        await hands.type(ROOM)
        await hands.press("enter")  # to the list
        await hands.press("enter")  # the first of the room: the question names the others and asks who leaves
        for name in names:
            assert hands.sees(name), hands.screen()
        assert hands.sees(say("整个房间 4 人一起离开", "The whole room: all 4 leave")), hands.screen()
        cuts += hands.cut_texts()
        await hands.press("down")  # the whole room
        await hands.press("enter")  # taken: on to the time
        await hands.press("enter")  # the time is now: on to the button, which says how many
        assert hands.focused_id() == "departure-confirm"
        assert hands.sees(say("确认 4 人离开", "Check out all 4")), hands.screen()
        cuts += hands.cut_texts()
        await hands.press("enter")
        assert hands.sees(say("已办理离开", "Checked out")) and hands.sees("Ctrl+Z"), hands.screen()
        assert not any(hands.app.screen.query_one("#present").views.values())  # nobody left in the list
        check_out = (hands.keys - keys_before, time.perf_counter() - started)

        await hands.press("ctrl+z")  # the whole room comes back as one
        for name in names:
            assert hands.sees(name), hands.screen()
        cuts += hands.cut_texts()
        await hands.press("enter")
        await hands.press("escape")
        assert hands.sees(say("现在在住 4 人", "Here now: 4")), hands.screen()
        print(f"\n[{lang} {size[0]}x{size[1]}] family of four: check-in by card {check_in[0]} keys "
              f"{check_in[1]:.1f} s, whole-room check-out {check_out[0]} keys {check_out[1]:.1f} s")

    registry = Registry(open_store(private_home))
    stays = registry.registrations()
    assert sorted(v.name for v in stays) == sorted(names)
    assert {v.unit for v in stays} == {ROOM} and all(v.present for v in stays)
    assert len({v.arrived_at.replace(second=0, microsecond=0) for v in stays}) <= 2  # arrived together
    registry.store.dispose()
    # The key bars of the departure screen (60x20) and the form (80x24 too) are cut on main (issue 17 item 9):
    # the two-line key bar being merged mends them; until then this journey does not fail on them.
    assert not [cut for cut in cuts if not cut.startswith("#KeyBar:")], "\n".join(cuts)


"""A foreign guest registered by passport scan, through the real form and store: the scan fills the
passport's fields and its expiry, the cursor goes to the visa, and the clerk's keystrokes are counted
(for the note: keystrokes and seconds for registering a foreign guest by passport scan)."""

from __future__ import annotations

import json
import time
from datetime import date

from sqlmodel import select

from agent.store.models import Event
from tests.tui.test_scanner import passport_mrz
from tui.screens.register_screen import RegisterScreen


def _field(app, key: str):
    return app.screen.query_one("#f-" + key.replace(".", "--"))


class Keys:
    """The clerk's keystrokes, counted as they are pressed (the scanner's are not the clerk's)."""

    def __init__(self, pilot) -> None:
        self.pilot, self.count = pilot, 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        await self.press(*text)


async def test_a_foreign_guest_by_passport_scan_keystrokes_and_seconds(hotel_registry, make_app, burst) -> None:
    first, second = passport_mrz("SMITH", "JOHN", "X1234567", "USA", date(1985, 3, 14), "M", date(2031, 6, 1))
    app = make_app(hotel_registry)
    async with app.run_test(size=(100, 40)) as pilot:
        keys = Keys(pilot)
        await keys.press("f2")
        await app.workers.wait_for_complete()
        started = time.perf_counter()
        await burst(app, pilot, first, second)  # the passport reader types its two lines
        screen = app.screen
        assert isinstance(screen, RegisterScreen)
        assert screen.form.value("person.doc_expiry") == "2031-06-01"  # filled from the MRZ
        assert app.focused is _field(app, "person.visa.type")
        await keys.press("space", *["down"] * 7, "enter")  # open the list, down to L (C D F G J1 J2 L), pick
        assert screen.form.value("person.visa.type") == "L"
        await keys.press("enter")
        assert app.focused is _field(app, "person.visa.number")
        await keys.type("12345678")
        await keys.press("enter")
        await keys.type("2025-05-30")  # permitted stay until
        await keys.press("enter")
        await keys.type("2025-04-30")  # date of entry
        await keys.press("enter")
        await keys.type("PEK")  # port of entry, as written on the stamp
        await keys.press("enter")
        assert app.focused is _field(app, "unit")
        await keys.type("501")
        await keys.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        elapsed = time.perf_counter() - started
        assert not isinstance(app.screen, RegisterScreen), screen.problems
    [view] = hotel_registry.registrations()
    assert (view.doc_type, view.name, view.unit) == ("passport", "SMITH JOHN", "501")
    with hotel_registry.store.read() as session:
        event = session.exec(select(Event)).one()
    person = hotel_registry.event_payload(event)["person"]
    assert person["visa"] == {"type": "L", "number": "12345678", "stay_until": "2025-05-30",
                              "entry_date": "2025-04-30", "entry_port": "PEK"}
    assert person["doc_expiry"] == "2031-06-01"
    # 1 (F2) + 9 (the visa type from the list) + 1 + 8 + 1 + 10 + 1 + 10 + 1 + 3 + 1 + 3 + 1 (Ctrl+S)
    assert keys.count == 50
    print(json.dumps({"clerk_keystrokes": keys.count, "pilot_seconds": round(elapsed, 2)}))

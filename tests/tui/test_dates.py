"""Dates on screen carry their year, and a lease's end is a day: no midnight is made up for it.

Read from what was drawn: the lists (home, people, departure) and a tenant's own screen.
"""

from __future__ import annotations

import pytest

from agent.cli.demo_people import sample_registration
from agent.validation.venue import VenueDetails
from tui.screens.person_screen import PersonScreen


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", ["f3", "f4"])
async def test_lists_show_the_year(hotel_registry, make_app, seed_guests, screen_text, lang, key):
    seed_guests(hotel_registry, 2)
    app = make_app(hotel_registry, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "2025-05-01 10:00" in screen_text(app)  # home: who is here, since when
        await pilot.press(key)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "2025-05-01 10:00" in screen_text(app)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_tenants_lease_end_is_shown_as_a_day(private_home, make_app, screen_text, lang):
    from agent.register.registry import Registry
    from agent.store.opening import open_store

    registry = Registry(open_store(private_home, create=True))
    registry.set_venue(VenueDetails(kind="rental", name="测试出租屋"))
    tenancy = sample_registration(6, "tenancy", "2025-04-01 10:00", unit="3-201")
    tenancy["expected_departure"] = "2027年6月5日"
    tenancy["late_reason"] = "从旧登记簿补录"  # registered a month after the move-in
    assert registry.register(tenancy).ok
    app = make_app(registry, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter", "enter")  # from the search box to the list, then the row's details
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)
        text = screen_text(app)
        leaves = next(line for line in text.splitlines() if ("租约到期" if lang == "zh" else "Lease ends") in line)
        assert leaves.split()[-1] == "2027-06-05" and "00:00" not in text
    registry.store.dispose()

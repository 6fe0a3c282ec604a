"""A landlord renews a tenant's lease from the tenant's screen: the home screen's reminder says a lease
has ended; the landlord finds the tenant, renews the lease to a date a year on (typed with the year, as
YYYY-MM-DD), and the reminder is gone. Keys and reading only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from agent.cli.demo_people import sample_registration
from agent.cli.terminal_ui import tui_app
from agent.domain import CHINA_TIME
from agent.register.registry import Registry
from agent.store.opening import open_store
from agent.validation.venue import VenueDetails
from tests.journeys.hands import Hands

LEASE_ENDED = ("租期已过", "Lease ended")  # the reminder's words, as short as a 60x20 home screen draws them


def _tenant_whose_lease_ended(home: Path) -> tuple[str, int]:
    """A flat let a year ago on a lease that ended last week; the tenant still lives there."""
    store = open_store(home, create=True)
    registry = Registry(store)
    registry.set_venue(VenueDetails(kind="rental", name="幸福公寓"))
    now = datetime.now(CHINA_TIME)
    payload = sample_registration(11, "tenancy", (now - timedelta(days=365)).strftime("%Y-%m-%d 10:00"),
                                  unit="2-301")
    payload["expected_departure"] = (now - timedelta(days=7)).date().isoformat()
    payload["late_reason"] = "入住时未登记，现补登"
    outcome = registry.register(payload)
    assert outcome.ok, outcome.problems
    assert outcome.registration_id is not None
    name = payload["person"]["name"]
    store.dispose()
    return name, outcome.registration_id


async def test_a_landlord_renews_a_lease_and_the_reminder_goes(private_home: Path, lang: str,
                                                               size: tuple[int, int]) -> None:
    say = (lambda zh, en: en if lang == "en" else zh)
    name, tenancy = _tenant_whose_lease_ended(private_home)
    new_end = date(datetime.now(CHINA_TIME).year + 1, 12, 31)
    cuts: list[str] = []

    app = tui_app(private_home, lang)
    async with app.run_test(size=size) as pilot:
        hands = Hands(app, pilot)
        await hands.settle()
        assert hands.sees(say(*LEASE_ENDED)), hands.screen()
        await hands.press("f4")  # the people
        await hands.type("2-301")
        await hands.press("enter", "enter")  # to the list, then the tenant's screen
        assert hands.sees(name) and hands.sees(say("租约到期", "Lease ends")), hands.screen()
        cuts += hands.cut_texts()
        await hands.tab_to("extend")  # the landlord Tabs to 续租 (Ctrl+E goes there at once)
        await hands.press("enter")
        assert hands.sees(say("续租", "Renew the lease")), hands.screen()
        assert hands.sees(say("现在的租约到期日", "The lease ends now")), hands.screen()
        cuts += hands.cut_texts()
        await hands.type(new_end.isoformat())
        await hands.press("enter")  # to the confirming button
        assert hands.focused_id() == "change-confirm"
        await hands.press("enter")
        assert hands.sees(say(f"已续租：至 {new_end.isoformat()}", f"until {new_end.isoformat()}")), hands.screen()
        cuts += hands.cut_texts()
        await hands.press("escape", "escape")  # back to the people, then home
        assert not hands.sees(say(*LEASE_ENDED)), hands.screen()
        print(f"\n[{lang} {size[0]}x{size[1]}] lease renewed from the home screen in {hands.keys} keys")

    registry = Registry(open_store(private_home))
    [lease] = [v for v in registry.registrations() if v.id == tenancy]
    assert lease.expected_departure is not None
    assert lease.expected_departure.astimezone(CHINA_TIME).date() == new_end
    assert not [r for r in registry.reminders(datetime.now(CHINA_TIME)) if r.code == "lease.ended"]
    registry.store.dispose()
    assert not cuts, "\n".join(cuts)

"""One search: `dengji list --search` (`Registry.search`, over the store) and the TUI's search as you type
(`agent.register.search.find`, over the rows a screen holds) find the same people for the same text."""

from __future__ import annotations

import pytest

from agent.cli.demo_people import sample_registration
from agent.register.registry import Registry
from agent.register.search import find

UNITS = ("301", "302", "3021", "10", "A-12")


@pytest.fixture
def guests(hotel_registry: Registry) -> Registry:
    for i, unit in enumerate(UNITS * 2):
        assert hotel_registry.register(sample_registration(i + 20, "stay", "2026-11-20 10:00", unit=unit)).ok
    return hotel_registry


def test_the_command_line_and_the_tui_find_the_same_people(guests: Registry) -> None:
    people = guests.registrations(present_only=True)
    queries = ["", "302", "30", "a-1", "10", people[0].doc_masked[-4:], people[3].doc_masked[-3:],
               people[0].doc_masked[-2:], people[5].name[1:], people[2].name, "no such person", "1"]
    for text in queries:
        by_cli = [v.id for v in guests.search(text)]
        by_tui = [v.id for v in find(people, text)]
        assert by_cli == by_tui, text
    assert [v.unit for v in guests.search("302")] == ["302", "302", "3021", "3021"]  # the exact unit first

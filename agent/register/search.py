"""Finding a person: by name, by unit, or by the document's last digits. One rule for the command
line's `list --search` (`Registry.search`) and the TUI's search as you type, so both find the same people.

The TUI decrypts the names once when a screen loads its list (in a worker thread); each keystroke then
filters in memory, so typing stays quick with thousands of people present.

>>> from types import SimpleNamespace as P
>>> people = [P(name="王伟", unit="302", doc_masked="410102********1234"),
...           P(name="李娜", unit="3-502", doc_masked="410102********5678")]
>>> [p.name for p in find(people, "302")], [p.name for p in find(people, "5678")], [p.name for p in find(people, "娜")]
(['王伟'], ['李娜'], ['李娜'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Findable(Protocol):
    name: str
    unit: str
    doc_masked: str


F = TypeVar("F", bound=Findable)


def find(people: Sequence[F], text: str) -> list[F]:
    """Those whose name contains the text, whose unit is it (or starts with it), or whose document
    number ends with it (three characters or more: one digit would find half the register); an empty
    text finds everyone. Exact unit matches come first, then the others in their order."""
    needle = text.strip().upper()
    if not needle:
        return list(people)
    exact, other = [], []
    for person in people:
        unit = person.unit.upper()
        if unit == needle:
            exact.append(person)
        elif (needle in person.name.upper() or unit.startswith(needle)
              or (len(needle) >= 3 and person.doc_masked.upper().endswith(needle))):
            other.append(person)
    return exact + other

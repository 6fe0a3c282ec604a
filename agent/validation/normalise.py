"""How typed numbers and text are made comparable before any rule looks at them.

Clerks copy numbers from cards, chat messages and spreadsheets: full-width digits from a Chinese input
method, spaces and dashes for readability, a lower-case `x`. Every validator compacts the same way, so
the stored form of a number does not depend on how it was typed.

>>> compact_number(' ４１０１０２-1990 0101 123x ')
'41010219900101123X'
>>> mask_middle('E12345678', head=2, tail=4)
'E1***5678'
"""

from __future__ import annotations

import re
import unicodedata

_FULLWIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E are the full-width forms of U+0021..U+007E
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Unicode's Bidi_Control characters: the embeddings and overrides (U+202A-202E), the isolates (U+2066-2069)
# and the marks (U+200E LRM, U+200F RLM, U+061C ALM). Each is invisible, and each can make a name or an
# address display as other text than it holds: "陈\u202e文大" shows as 陈大文 but is not the same record.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_SEPARATORS = frozenset(" -_.\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc")  # dashes, 长音符 ー
# str.translate and a regex do in C what a character loop does in Python: this runs on every field of
# every registration, on the agent and on the platform.
_HALFWIDTH = {code: code - _FULLWIDTH_OFFSET for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEPARATORS_OR_SPACE = re.compile("[" + re.escape("".join(sorted(_SEPARATORS))) + r"\s]")


def halfwidth(text: str) -> str:
    """Full-width ASCII forms (what a Chinese IME types) as plain ASCII; the ideographic space as a space."""
    # ASCII text has nothing to translate, and isascii() is a flag read: translate() looks up every character.
    return text if text.isascii() else text.translate(_HALFWIDTH)


def compact_number(number: str) -> str:
    """A number without separators or white space, half-width and upper-case."""
    if number.isascii() and number.isalnum():  # as typed most of the time: nothing to take out
        return number.upper()
    return _SEPARATORS_OR_SPACE.sub("", halfwidth(number)).upper()


def is_ascii_digits(text: str) -> bool:
    """True for '0'..'9' only: `str.isdigit()` also accepts '²' and Arabic-Indic digits."""
    return text.isascii() and text.isdigit()


def mask_middle(number: str, head: int, tail: int) -> str:
    """The number with its middle replaced by '*', for lists; at least 3 characters stay hidden."""
    length = len(number)
    while head + tail > max(length - 3, 0) and (head or tail):
        if tail >= head:
            tail -= 1
        else:
            head -= 1
    return number[:head] + "*" * (length - head - tail) + number[length - tail:]


def forbidden_characters(text: str) -> list[str]:
    """Characters that must not be stored in a text field: control codes (C0, DEL and C1), line breaks,
    lone surrogates, and the bidirectional controls (overrides, embeddings, isolates and the LRM, RLM and
    ALM marks) that make a name display differently from what it is.

    Private-use and unassigned code points are allowed: rare characters in names (生僻字) live there
    in older systems and in Unicode versions newer than this Python's table. Returned as `U+XXXX`
    names so a message can point at them without echoing the text.
    """
    if text.isprintable():  # every forbidden character is non-printable: the common case costs one C call
        return []
    bad = []
    for char in text:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES or char in _BIDI_CONTROLS:
            name = f"U+{ord(char):04X}"
            if name not in bad:
                bad.append(name)
    return bad

"""Reading what a desk scanner types: an ID card number, or a passport's two MRZ lines.

ID card readers and passport readers act as keyboards: they type the number (18 characters) or the
two 44-character lines of the machine readable zone, each followed by Enter. The screens hand every
submitted line to a `ScanReader`, which says whether it was a scan, a half of one (the first MRZ
line, waiting for the second), or ordinary typing. Telling a scan from typing by its content, not by
key timing, keeps the behaviour the same on a slow machine and in tests.

>>> reader = ScanReader()
>>> reader.feed("11010519491231002x")
IdCardScan(number='11010519491231002X')
>>> reader.feed("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<")
AwaitingSecondLine()
>>> reader.feed("L898902C36UTO7408122F1204159ZE184226B<<<<<10").passport.name
'ERIKSSON ANNA MARIA'
>>> reader.feed("王伟") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.validation import InvalidDocument, Problem, mrz, resident_id
from agent.validation.normalise import compact_number

_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
_MRZ_LINE = re.compile(r"[A-Z0-9<]{44}")


@dataclass(frozen=True)
class IdCardScan:
    number: str  # the 18-character number (a 15-digit one upgraded)


@dataclass(frozen=True)
class PassportScan:
    passport: mrz.MrzPassport


@dataclass(frozen=True)
class AwaitingSecondLine:
    """The first MRZ line was read; the second follows at once from the scanner."""


@dataclass(frozen=True)
class ScanFailed:
    problem: Problem


ScanResult = IdCardScan | PassportScan | AwaitingSecondLine | ScanFailed


def looks_like_id_number(text: str) -> bool:
    return _ID_SHAPE.fullmatch(compact_number(text)) is not None


def _mrz_line(text: str) -> str | None:
    line = compact_number(text)
    return line if _MRZ_LINE.fullmatch(line) and "<" in line else None


@dataclass(frozen=True)
class SwipedCard:
    """A card read out of a text field: what the field held before it, and the scan."""

    field_text: str
    scan: IdCardScan | ScanFailed


class ScanReader:
    """Turns submitted lines into scans; remembers a first MRZ line until its second arrives."""

    def __init__(self) -> None:
        self._first_line: str | None = None

    @property
    def waiting(self) -> bool:
        return self._first_line is not None

    def reset(self) -> None:
        self._first_line = None

    def feed(self, text: str) -> ScanResult | None:
        """What the line was; None for ordinary typing (which also drops a pending first MRZ line)."""
        first, self._first_line = self._first_line, None
        line = _mrz_line(text)
        if first is not None and line is not None:
            return self._passport(first + "\n" + line)
        if line is not None and line.startswith("P"):
            self._first_line = line
            return AwaitingSecondLine()
        compacted = compact_number(text)
        if len(compacted) == 2 * mrz.LINE_LENGTH and compacted.startswith("P") and "<" in compacted:
            return self._passport(compacted)
        if looks_like_id_number(compacted):
            try:
                return IdCardScan(resident_id.validate(compacted))
            except InvalidDocument as invalid:
                return ScanFailed(invalid.problem)
        return None

    def swiped_into(self, value: str) -> SwipedCard | None:
        """An ID card swiped while the cursor was in another text field (a keyboard-wedge reader types
        the number wherever the cursor is): the card, and what the field held before it; or None."""
        if len(value) < 15:
            return None
        for length in (18, 15):
            head, tail = value[:-length], value[-length:]
            if looks_like_id_number(tail):
                result = self.feed(tail)
                if isinstance(result, IdCardScan | ScanFailed):
                    return SwipedCard(head, result)
        return None

    @staticmethod
    def _passport(text: str) -> PassportScan | ScanFailed:
        try:
            return PassportScan(mrz.parse(text))
        except InvalidDocument as invalid:
            return ScanFailed(invalid.problem)

"""Reading the plain fields of a payload: text, moments, unknown keys, hidden characters.

`FieldChecks` collects problems while it reads, never raising on bad input, so a checker built on it
(a registration's, and a person's within it) reports every fault of a record at once. The fast paths
below settle the common case (printable text within its limit) in one C call: the platform runs the
same checks on every event it receives.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from agent.domain.errors import InvalidDocument
from agent.domain.problems import Problem
from agent.validation.datetimes import parse_datetime
from agent.validation.normalise import forbidden_characters
from agent.validation.words import yes_no

LIMITS = {"name": 100, "unit": 32, "address": 200, "position": 64, "reason": 32,
          "residence_permit_number": 32, "doc_number": 64, "phone": 32,
          "number": 32, "entry_port": 64, "late_reason": 200, "relation": 32}

_NUMBER_LIKE = frozenset({"doc_number", "phone", "unit", "residence_permit_number", "number"})
# Line layout a pasted address or a spreadsheet cell brings: it becomes a space in free text, and is
# stripped around a code. Every other character `forbidden_characters` names is refused.
_LAYOUT_CHARACTERS = frozenset({"U+0009", "U+000A", "U+000D"})
_KEY_SETS: dict[tuple[str, ...], frozenset[str]] = {}


class FieldChecks:
    """Collects the problems of one payload while reading its fields."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.problems: list[Problem] = []
        self.failed: set[str] = set()  # fields given but unreadable: a rule on them says nothing more

    def error(self, code: str, zh: str, en: str, path: str) -> None:
        self.problems.append(Problem(code, zh, en, path))

    def moment(self, value: Any, path: str, *, required: bool = False) -> datetime | None:
        if absent(value):
            if required:
                self.error("registration.required", f"缺少时间 {path}", f"{path} is missing", path)
            return None
        if self.hidden_characters(value, path):
            return None
        try:
            return parse_datetime(value)
        except InvalidDocument as invalid:
            self.problems.append(invalid.problem.at(path))
            return None

    def text(self, payload: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
        """A stripped, NFC-normalised text field within its length limit, or None (problem recorded)."""
        value = payload.get(key)
        if value is None and not required:
            return None  # an optional field left out: most fields of most payloads
        limit = LIMITS.get(key, 200)
        if value.__class__ is str and len(value) <= limit and value.isprintable():
            # The common case, settled at once (the general path below was a third of the check's time):
            # printable text holds no control character and no white space but ' ', and NFC makes none
            # (ASCII it leaves as it is). Anything this does not return goes the general way, which
            # returns the same text for what this does return.
            text = value if value.isascii() else unicodedata.normalize("NFC", value)
            if " " in text:
                text = " ".join(text.split())
            if text and len(text) <= limit:
                return text
        if isinstance(value, int) and not isinstance(value, bool) and key in _NUMBER_LIKE:
            value = str(value)  # JSON written from a spreadsheet turns "302" and long numbers into numbers
        if absent(value) or (isinstance(value, str) and not value.strip()):
            if required:
                self.error("registration.required", f"缺少必填项 {path}", f"{path} is required", path)
            return None
        if not isinstance(value, str):
            self.error("registration.type", f"{path} 应为文字", f"{path} must be text", path)
            return None
        if len(value) > limit * 4:  # too long to be worth normalising; say so without the work
            self.too_long(path, limit, len(value))
            return None
        # Tabs and line breaks (a pasted multi-line address) become single spaces; other controls are refused.
        if self.hidden_characters(value, path):
            return None
        text = " ".join(unicodedata.normalize("NFC", value).split())
        if len(text) > limit:
            self.too_long(path, limit, len(text))
            return None
        return text

    def hidden_characters(self, value: Any, path: str) -> bool:
        """True, with the problem recorded at `path`, when text holds a character that must not be stored
        (`forbidden_characters`: control codes, bidirectional controls) other than tabs and line breaks.

        Every text of a payload passes here before it is read, free text and codes alike: a code with a
        control character in it would otherwise be refused as an unknown code, or read after strip()
        took the character away, and the clerk would not learn what is wrong with what they see.
        Printable text (nearly all of it) costs one C call.
        """
        if value.__class__ is not str or value.isprintable():
            return False
        bad = [name for name in forbidden_characters(value) if name not in _LAYOUT_CHARACTERS]
        if not bad:
            return False
        shown = ", ".join(bad[:3])
        self.error("registration.control_characters",
                   f"{path} 含有不可见的控制字符（{shown}）：请删除后重新输入",
                   f"{path} contains invisible control characters ({shown}): delete them and type the text again",
                   path)
        return True

    def too_long(self, path: str, limit: int, length: int) -> None:
        self.error("registration.too_long", f"{path} 最多 {limit} 个字，现在有 {length} 个：请缩短",
                   f"{path} has at most {limit} characters, this one has {length}: shorten it", path)

    def unknown_keys(self, payload: Mapping[Any, Any], allowed: tuple[str, ...], prefix: str) -> None:
        known = _KEY_SETS.get(allowed)
        if known is None:
            known = _KEY_SETS[allowed] = frozenset(allowed)
        if payload.keys() <= known:
            return  # every key known: one set comparison instead of a look-up per key
        for key in payload:
            if key not in allowed:
                shown = _show_key(key)
                self.error("registration.unknown_field",
                           f"不认识的字段 {prefix}{shown}：可用的字段有 {', '.join(allowed)}",
                           f"unknown field {prefix}{shown}: the fields are {', '.join(allowed)}",
                           f"{prefix}{shown}")

    @staticmethod
    def put(target: dict[str, Any], key: str, value: Any) -> None:
        if value is not None:
            target[key] = value


def absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return yes_no(value) if isinstance(value, str) else None


def _show_key(key: Any) -> str:
    """A field name fit for a message: printable, at most 40 characters."""
    text = str(key)
    text = "".join(char if char.isprintable() else "?" for char in text)
    return text if len(text) <= 40 else text[:40] + "..."

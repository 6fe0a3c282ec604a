"""Which problems to show while the clerk is still typing, and which only once a field is left.

Telling someone "18 characters expected, 7 typed" at the seventh keystroke is noise; telling them a
character is not allowed, or that the check digit is wrong once all 18 are in, is help. A field the
clerk has left (or every field, after Ctrl+S) shows all its problems.
"""

from __future__ import annotations

from agent.validation import Problem
from agent.validation.normalise import compact_number

_ONLY_WHEN_LEFT = frozenset({"form.required", "registration.required", "registration.nationality",
                             "registration.ethnicity", "registration.reason"})
_FULL_LENGTH = {"date.format": 10, "datetime.format": 10, "registration.birth_date": 10}


def premature(problem: Problem, text: str) -> bool:
    """Whether the problem would only be noise while `text` is still being typed."""
    code = problem.code
    if code in _ONLY_WHEN_LEFT or code.endswith(".length"):
        return True
    if code in _FULL_LENGTH:
        return len(text.strip()) < _FULL_LENGTH[code]
    if code.startswith("phone."):
        return len(compact_number(text)) < 11
    return False

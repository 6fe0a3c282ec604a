"""Which of the register form's problems the clerk sees, and what the line under the form says.

The form's own check (`RegistrationForm.problems`) finds every problem at every keystroke; showing all
of them at once would shout at a clerk who has not reached a field yet. This keeps what is shown: the
problems of fields the clerk has left (or every field after Ctrl+S), the one being typed once it is
more than noise (`live_checks.premature`), and the store's refusals until their field changes. No
widgets here: the screen draws what this decides, and tests can ask it directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from agent.validation import Problem, Severity
from tui.forms.live_checks import premature
from tui.forms.registration_form import RegistrationForm


class FormProblems:
    """The shown problems of one register form, by field key."""

    def __init__(self) -> None:
        self.left: set[str] = set()  # fields the clerk has left: they show every problem
        self.shown: dict[str, Problem] = {}
        self.store: dict[str, Problem] = {}  # refusals by the store, until their field changes
        self.general: Problem | None = None  # a problem of no one field
        self.summary = ""  # "3 fields to fix." after a refused save, until the clerk types again

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def typed(self, key: str) -> None:
        """The clerk changed `key`: the store's refusal of it and the save's summary no longer hold."""
        self.summary = ""
        self.store.pop(key, None)

    def leave(self, keys: Iterable[str]) -> None:
        self.left |= set(keys)

    def refresh(self, form: RegistrationForm, now: datetime, typing: str | None = None) -> dict[str, Problem]:
        """Decide what is shown now; the shown problems by field key."""
        problems = form.problems(now)
        self.general = problems.pop("", None)
        visible: dict[str, Problem] = {}
        for key, problem in problems.items():
            if key in self.left or (key == typing and not premature(problem, form.value(key))):
                visible[key] = problem
        for key, problem in self.store.items():
            visible.setdefault(key, problem)
        self.shown = visible
        return visible

    def refused(self, problems: Iterable[Problem], shown_keys: set[str]) -> dict[str, Problem]:
        """The store refused a save: its errors by field (a problem of no shown field under ""), kept
        beside their fields until they change."""
        errors = {RegistrationForm.field_of(p, shown_keys): p for p in reversed(list(problems))
                  if p.severity is Severity.ERROR}
        self.store = {key: problem for key, problem in errors.items() if key}
        return errors

    def first_error(self, errors: dict[str, Problem], order: list[str], summary: tuple[str, str],
                    lang: str) -> tuple[str | None, str]:
        """The field to point at (the first in form order with an error) and the message to show there,
        with how many remain (`summary`: zh and en templates with `{count}`) when more than one does."""
        first = next((key for key in order if key in errors), None)
        problem = errors[first] if first is not None else (errors.get("") or next(iter(errors.values())))
        count = len(errors)
        template = summary[1] if lang == "en" else summary[0]
        self.summary = template.format(count=count) if count > 1 else ""
        return first, self.summary + problem.text(lang)

"""A field's problem, written on the line under the field and kept there until the field is fixed.

The line under the whole form used to say it, and the next Enter replaced it: a clerk who moved on
never saw it again. Here each field with a problem carries its own note (a red "✗" for an error that
stops the save, a yellow "!" for a warning), shown only while there is something to say, so a clean
form stays one line per field. Shared by the register form's rows and the setup wizard's.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from agent.validation import Problem, Severity

LABEL_WIDTH = 22
"""The width of a form's label column: notes start under the input, not under the label."""


class FieldNote(Static):
    DEFAULT_CSS = f"""
    FieldNote {{ display: none; height: auto; padding: 0 1 0 {LABEL_WIDTH}; color: $text-error; }}
    FieldNote.-shown {{ display: block; }}
    FieldNote.-keep {{ display: block; min-height: 1; }}
    FieldNote.-warning {{ color: $text-warning; }}
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.problem: Problem | None = None
        self.note = ""  # what it says now ("" while hidden): tests and the screen read it

    def say(self, problem: Problem | None, lang: str) -> None:
        """Show `problem` (None: hide the note)."""
        self.problem = problem
        warning = problem is not None and problem.severity is Severity.WARNING
        self.note = "" if problem is None else ("! " if warning else "✗ ") + problem.text(lang)
        self.set_class(problem is not None, "-shown")
        self.set_class(warning, "-warning")
        self.update(Text(self.note, style="bold" if not warning else ""))

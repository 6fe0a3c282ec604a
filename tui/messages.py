"""Messages the screens post to the app and to each other (one place, after Harlequin's `messages.py`).

Tests can collect them with `run_test(message_hook=...)` and assert on what happened rather than on
pixels.
"""

from __future__ import annotations

from textual.message import Message


class Registered(Message):
    """A registration was stored (its event is in the outbox)."""

    def __init__(self, registration_id: int) -> None:
        super().__init__()
        self.registration_id = registration_id


class Departed(Message):
    """A departure was stored."""

    def __init__(self, registration_id: int) -> None:
        super().__init__()
        self.registration_id = registration_id


class DepartureUndone(Message):
    """A departure was undone (within its 15 minutes): the stay is open again."""

    def __init__(self, registration_id: int) -> None:
        super().__init__()
        self.registration_id = registration_id


class VenueReady(Message):
    """The setup wizard created the store and the venue: the app can show the home screen."""


class LanguageChanged(Message):
    """The operator switched between Chinese and English."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang


class Unlocked(Message):
    """An operator typed the right PIN on the lock screen; the session now acts as them."""

    def __init__(self, operator: str) -> None:
        super().__init__()
        self.operator = operator


class SettingChanged(Message):
    """The operator changed a setting kept outside the store (the app enters it in the audit trail)."""

    def __init__(self, name: str, value: str | int | None) -> None:
        super().__init__()
        self.name = name
        self.value = value


class PersonInspected(Message):
    """The operator opened one person's full record (the app enters the look in the audit trail)."""

    def __init__(self, registration_id: int) -> None:
        super().__init__()
        self.registration_id = registration_id


class Enrolled(Message):
    """This device was enrolled with the platform (the wizard moves on; settings says so)."""


class PinChosen(Message):
    """A PIN was typed twice and passed the format check (empty: "no PIN"), with the account's name when
    the panel asked for one. The screen hands both to the agent, which hashes the PIN; the message never
    leaves this process."""

    def __init__(self, pin: str, name: str | None = None) -> None:
        super().__init__()
        self.pin = pin
        self.name = name

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


class VenueReady(Message):
    """The setup wizard created the store and the venue: the app can show the home screen."""


class LanguageChanged(Message):
    """The operator switched between Chinese and English."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang


class Unlocked(Message):
    """The operator typed the right PIN on the lock screen."""


class Enrolled(Message):
    """This device was enrolled with the platform (the wizard moves on; settings says so)."""


class PinChosen(Message):
    """The operator set a PIN (its hash), or chose none (empty hash)."""

    def __init__(self, pin_hash: str) -> None:
        super().__init__()
        self.pin_hash = pin_hash

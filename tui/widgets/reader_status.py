"""The ID card reader's state, in a few words beside a scan or search box: connected, reading, no reader,
unplugged. It follows the app's `CardReading`; a screen that shows it takes cards."""

from __future__ import annotations

from textual.widgets import Static

from tui.card_reading import STATE_WORDS, CardReading, ReaderState


class ReaderStatus(Static):
    DEFAULT_CSS = """
    ReaderStatus {
        width: auto;
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    ReaderStatus.-connected {
        color: $success;
    }
    ReaderStatus.-reading {
        color: $accent;
        text-style: bold;
    }
    ReaderStatus.-gone {
        color: $error;
        text-style: bold;
    }
    """

    def __init__(self, reading: CardReading, lang: str) -> None:
        self._reading = reading
        self._lang = lang
        super().__init__(self._words(reading.state), id="reader-status")
        self._classes_for(reading.state)

    def _words(self, state: ReaderState) -> str:
        zh, en = STATE_WORDS[state]
        return en if self._lang == "en" else zh

    def _classes_for(self, state: ReaderState) -> None:
        self.set_class(state is ReaderState.CONNECTED, "-connected")
        self.set_class(state is ReaderState.READING, "-reading")
        self.set_class(state is ReaderState.GONE, "-gone")

    def on_mount(self) -> None:
        self._reading.listen(self)
        self.show_state(self._reading.state)
        self._reading.wake()  # its screen takes cards and has just come up: look for the reader now

    def on_unmount(self) -> None:
        self._reading.unlisten(self)

    def show_state(self, state: ReaderState) -> None:
        self.update(self._words(state))
        self._classes_for(state)

"""The settings a venue keeps in its home, as the TUI reads and changes them: whether a register is
here, the platform's address, the language, the ID card reader, and the TUI's own preferences file.

The TUI's way to `config.toml` (`agent.home.config` keeps the format and its checks), so the screens
never open the agent's files themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from agent.domain.errors import ConfigError
from agent.home.config import (
    ensure_config,
    has_store,
    load_config,
    save_config,
    write_atomically,
)


@dataclass(frozen=True)
class ReaderSettings:
    """Where the desk's ID card reader is (`config.toml`'s `reader_*` keys), as `open_reader` takes it:
    `port` None means "find it" (the first USB serial port where a reader answers, or the library's ports
    in turn); `configured` whether the operator named a reader, so that one not answering is news."""

    backend: str = "serial"
    port: str | None = None
    baud: int = 115200
    library_path: str | None = None
    configured: bool = False


class HomeSettings:
    """One home's settings. Reads are fresh each time: the command line may change them meanwhile."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def has_register(self) -> bool:
        """Whether a register is kept here (False: the first run, the setup wizard makes one)."""
        return has_store(self.home, load_config(self.home))

    def needs_passphrase(self) -> bool:
        """Whether opening (or making) the register here needs a passphrase typed by a person: its keys are
        in a passphrase-sealed file (no OS keyring) and neither the environment nor a service credential
        gives the passphrase."""
        from agent.secrets.keystore import KEY_FILE, os_keyring_usable, passphrase_from_environment

        if passphrase_from_environment():
            return False
        choice = load_config(self.home).keystore
        if choice == "auto":
            return (self.home / KEY_FILE).exists() or not os_keyring_usable()
        return choice == "file"

    def platform_url(self) -> str:
        """The platform's address this venue enrolled with ('' before enrolment)."""
        return load_config(self.home).platform_url

    def set_platform_url(self, url: str) -> None:
        save_config(self.home, replace(load_config(self.home), platform_url=url))

    def card_reader(self) -> ReaderSettings:
        """The ID card reader's settings (docs/cardreader.md); the defaults when none are set. Raises a
        `ConfigError` when `config.toml` cannot be read."""
        config = load_config(self.home)
        return ReaderSettings(backend=config.reader_backend or "serial", port=config.reader_port or None,
                              baud=config.reader_baud_rate, library_path=config.reader_library_path or None,
                              configured=config.reader_configured)

    def set_language(self, lang: str) -> bool:
        """Keep the language for the next start (the command line speaks it too). False when it could not
        be written: the switch still holds for this session."""
        try:
            save_config(self.home, replace(load_config(self.home), lang=lang))
        except (ConfigError, OSError):
            return False
        return True

    def ensure_saved(self) -> None:
        """Write `config.toml` with the defaults when there is none yet (after the wizard's first step)."""
        ensure_config(self.home)

    def write_file(self, name: str, text: str) -> None:
        """Write a small file of the home's own (the TUI's preferences) atomically: a power cut leaves the
        old file or the new one, never half of one."""
        self.home.mkdir(parents=True, exist_ok=True)
        write_atomically(self.home / name, text.encode("utf-8"))

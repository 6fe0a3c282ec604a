"""The command line's own help and click's own words in the command's language.

The language is known before click reads a word: `--lang` if given (wherever it is on the line), else the
configured one (`config.toml` of `--home` or $DENGJI_HOME), else the system's. `use_language` then puts
each command's and option's help from the table in `help_zh` in place (or back to the English written in
the code) and gives click's own words (Usage, Options, its usage errors) from the same table. The root
group (a `LanguageGroup`) does this at the start of `main`, so `dengji --lang zh --help`, `dengji --help` with
Chinese configured, and a mistyped option all read in one language.

click reads its words through gettext, bound in each of its modules as `_` and `ngettext`; those names are
the one way in without shipping a compiled catalogue, and they are set back for English.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Sequence
from typing import Any

import click

from agent.domain.language import detect_lang

_CLICK_MODULES = ("core", "exceptions", "parser", "formatting", "decorators", "types", "termui")
_ENGLISH = "_dengji_english"  # where a command or an option keeps the English it was written with


def language_of(args: Sequence[str]) -> str:
    """The language a command line asks for: `--lang`, else the home's configured one, else the system's."""
    explicit = home = None
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            explicit = explicit or args[index + 1]
        elif arg.startswith("--lang="):
            explicit = explicit or arg.split("=", 1)[1]
        elif arg == "--home" and index + 1 < len(args):
            home = home or args[index + 1]
        elif arg.startswith("--home="):
            home = home or arg.split("=", 1)[1]
    if explicit in ("zh", "en"):
        return explicit
    return detect_lang(None, _configured(home))


def _configured(home: str | None) -> str | None:
    from agent.domain.errors import ConfigError
    from agent.home.config import load_config, resolve_home

    try:
        return load_config(resolve_home(home)).lang
    except (ConfigError, OSError):
        return None  # a broken config is said by the command itself, in the system's language


def commands(group: click.Command, path: str = "dengji") -> Iterator[tuple[str, click.Command]]:
    """Every command under `group` (itself first) with its path (`dengji service install`)."""
    yield path, group
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from commands(command, f"{path} {name}")


def use_language(group: click.Command, lang: str) -> None:
    """Put the help of every command and option, and click's own words, in `lang`."""
    from agent.cli.help_zh import COMMANDS, SHARED_OPTIONS

    for path, command in commands(group):
        entry: dict[str, Any] = COMMANDS.get(path, {}) if lang == "zh" else {}
        _say(command, "help", entry.get("help"))
        options: dict[str, str] = entry.get("options", {})  # type: ignore[assignment]
        for param in command.params:
            if isinstance(param, click.Option):
                zh = options.get(param.name or "") or SHARED_OPTIONS.get(param.name or "") if lang == "zh" else None
                _say(param, "help", zh)
        command._help_option = None  # click caches --help with its words of the first call (8.1.8+)
    _click_words(lang)


def _say(thing: object, attribute: str, text: str | None) -> None:
    english = thing.__dict__.setdefault(_ENGLISH, getattr(thing, attribute))
    setattr(thing, attribute, text if text else english)


def _click_words(lang: str) -> None:
    import importlib

    from agent.cli.help_zh import CLICK_WORDS

    def word(message: str) -> str:
        return CLICK_WORDS.get(message, message)

    def words(singular: str, plural: str, n: int) -> str:
        return word(singular if n == 1 else plural)

    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = word if lang == "zh" else gettext.gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = words if lang == "zh" else gettext.ngettext  # type: ignore[attr-defined]


class LanguageGroup(click.Group):
    """The root group: settles the language of help and of click's messages before parsing."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        import sys

        use_language(self, language_of(list(sys.argv[1:] if args is None else args)))
        return super().main(args, *rest, **kwargs)

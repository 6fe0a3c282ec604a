"""`python -m tui [--home DIR] [--lang zh|en]`: the TUI without the rest of the CLI.

The product entry is `dengji` (agent.cli wires it to `run_tui`); this one helps development and the
pseudo-terminal smoke test while that wiring is pending. It is a composition root in miniature: it
opens the store if there is one and passes no Delivery (nothing is sent).
"""

from __future__ import annotations

import argparse

from agent.home.config import ConfigError, load_config, resolve_home
from agent.domain.language import detect_lang


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tui")
    parser.add_argument("--home")
    parser.add_argument("--lang", choices=["zh", "en"])
    args = parser.parse_args()
    home = resolve_home(args.home)
    try:
        config = load_config(home)
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None
    from tui.app import run_tui

    def open_registry():  # type: ignore[no-untyped-def]
        """The register of this home, or None on first run (no store yet); runs after the first frame."""
        if not (home / "dengji.sqlite3").exists() and not config.database_url:
            return None
        from agent.register.registry import Registry
        from agent.store.opening import open_store

        return Registry(open_store(home, config), operator=config.operator_name)

    run_tui(None, home, detect_lang(args.lang, config.lang), None, open_registry=open_registry)


if __name__ == "__main__":
    main()

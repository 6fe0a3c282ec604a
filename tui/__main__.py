"""`python -m tui [--home DIR] [--lang zh|en]`: the TUI without the rest of the CLI.

The product entry is `dengji` (agent.cli wires it to `run_tui`); this one helps development and the
pseudo-terminal smoke test while that wiring is pending. It is a composition root in miniature: it
opens the store if there is one and passes no Delivery (nothing is sent).
"""

from __future__ import annotations

import argparse

from agent.config import ConfigError, load_config, resolve_home
from agent.i18n import detect_lang


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
    registry = None
    if (home / "dengji.sqlite3").exists() or config.database_url:
        from agent.registry import Registry
        from agent.store.database import StoreError
        from agent.store.opening import open_store

        try:
            registry = Registry(open_store(home, config))
        except StoreError as exc:
            raise SystemExit(str(exc)) from None
    from tui.app import run_tui

    run_tui(registry, home, detect_lang(args.lang, config.lang), None)


if __name__ == "__main__":
    main()

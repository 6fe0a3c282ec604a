"""Opening a venue: the one way the command line, the TUI, the demo and the setup wizard get a register.

It checks the forms (a broken form file stops the agent with its file, field and problem named), opens
or creates the home's store (finding its key) and builds the register on it, acting as this desk's
operator. The uploader's daemon opens the store alone (`agent.store.opening.open_store`): it never
registers anyone, and it stays without the forms and validators and the memory they take.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.forms.templates import check_templates
from agent.home.config import Config, load_config
from agent.register.registry import Registry
from agent.store.opening import open_store


def open_register(home: Path, config: Config | None = None, *, create: bool = False,
                  prompt: Callable[[], str] | None = None) -> Registry:
    """The register of `home` (with `create`, made if there is none), acting as the desk's operator.

    Raises `TemplateError` for a broken form file, `StoreError` when there is no store (and `create` is
    false) or its key is missing or wrong, `ConfigError` for an unreadable `config.toml`: each with a
    message that says what to do.
    """
    check_templates()
    config = config or load_config(home)
    return Registry(open_store(home, config, create=create, prompt=prompt), operator=config.operator_name)

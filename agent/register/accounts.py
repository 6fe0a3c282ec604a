"""Operator accounts as the desk meets them: who may log in, checking a PIN, making the first owner,
changing one's PIN.

The TUI's way to the accounts (`agent.duties.operators` keeps the rules and the table); a refused
change comes back as a `Problem` to show beside the field, not as an exception to catch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.domain.errors import OperatorError
from agent.duties.operators import (
    OWNER,
    Login,
    add_operator,
    authenticate,
    has_operators,
    list_operators,
    set_pin,
)
from agent.validation import Problem

if TYPE_CHECKING:
    from agent.register.registry import Registry

__all__ = ["Accounts", "Login"]


class Accounts:
    """The accounts of one register's store; a successful login makes the register act as that operator."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def exist(self) -> bool:
        """Whether accounts are in use: then someone logs in before the register shows."""
        return has_operators(self._registry.store)

    def names(self, first: str | None = None) -> list[str]:
        """The active accounts' names, owners first; `first` (who logged in last) before all others."""
        names = [o.name for o in list_operators(self._registry.store)]
        return sorted(names, key=lambda name: name != first)

    def log_in(self, name: str, pin: str) -> Login:
        """Check `name`'s PIN (a wrong one is counted and audited); on success the register acts as them."""
        login = authenticate(self._registry.store, name, pin)
        if login.operator is not None:
            self._registry.operator = login.operator.name
        return login

    def add_owner(self, name: str, pin: str) -> Problem | None:
        """Make the first account, an owner (no one is logged in yet to vouch for it)."""
        try:
            add_operator(self._registry.store, name, OWNER, pin, actor=None)
        except OperatorError as exc:
            return exc.problem
        self._registry.operator = name
        return None

    def change_pin(self, name: str, pin: str) -> Problem | None:
        """`name` sets a new PIN for themself."""
        try:
            set_pin(self._registry.store, name, pin, actor=name)
        except OperatorError as exc:
            return exc.problem
        return None

"""What every command gets (the home, the language, who acts, the register opened once) and the
parsing of times and days typed on the command line.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from agent.domain import CHINA_TIME
from agent.domain.errors import ConfigError, DengjiError
from agent.domain.language import Say, detect_lang

if TYPE_CHECKING:
    from agent.duties.operators import Operator
    from agent.register.registry import Registry
    from agent.store.database import Store
    from agent.validation import Problem

EXIT_REFUSED = 1
EXIT_UNUSABLE = 2


@dataclass
class Context:
    """What every command gets: the home, the language, who acts, and a way to open the register."""

    home: Path
    say: Say
    operator: str | None = None  # --operator / DENGJI_OPERATOR: who logs in, once the store has accounts
    desk_operator: str = "owner"  # config `operator`: who works at this desk, named by every event it makes
    acting: Operator | None = None  # the operator whose PIN was checked, once accounts exist
    _registry: Registry | None = None
    _store: Store | None = None

    def close(self) -> None:
        """The command is done: let go of the store's connections (a command run inside another program,
        a test or a script calling `main`, leaves no open database behind)."""
        if self._store is not None:
            self._store.dispose()
            self._store = self._registry = None

    def fail(self, message: str | DengjiError) -> NoReturn:
        """The command could not run: say why (an error in the user's language) and exit 2."""
        click.echo(self.text(message), err=True)
        sys.exit(EXIT_UNUSABLE)

    def refuse(self, message: str | DengjiError) -> NoReturn:
        """What was asked was refused: say why and exit 1."""
        click.echo(self.text(message), err=True)
        sys.exit(EXIT_REFUSED)

    def text(self, message: str | DengjiError) -> str:
        """What a person reads: an error's message in the command's language, or a message already said."""
        return message.text(self.say.lang) if isinstance(message, DengjiError) else message

    def registry(self, *, create: bool = False, system: bool = False, bootstrap: bool = False) -> Registry:
        """Open the store and the register (once per command), acting as the logged-in operator.

        `system`: the command acts for the system and needs no operator (status, sending, checks).
        `bootstrap`: the command may make the first account, so a store without any is no error even
        with `--operator` given.
        """
        if self._registry is None:
            from agent.domain.errors import StoreError, TemplateError
            from agent.duties.operators import SYSTEM
            from agent.register.opening import open_register

            try:
                registry = open_register(self.home, create=create,
                                         prompt=prompt_passphrase if sys.stdin.isatty() else None)
            except (TemplateError, StoreError, ConfigError) as exc:
                self.fail(exc)
            self._store = registry.store
            registry.operator = self.desk_operator
            if system:
                registry.operator = SYSTEM
            elif registry.accounts.exist():
                self._log_in(registry)
            elif self.operator and not bootstrap:
                self.fail(self.say(
                    "这个登记库还没有操作员账号：先用 dengji operator add 名字 --owner 建立店主，或去掉 --operator",
                    "this store has no operator accounts yet: create the owner with "
                    "`dengji operator add NAME --owner`, or leave out --operator"))
            self._registry = registry
        return self._registry

    def store(self, *, create: bool = False) -> Store:
        """Open the store alone (once per command): all the uploader needs. The daemon stays without the
        register's templates and validators, which it never uses, and the memory they take."""
        if self._store is None:
            from agent.domain.errors import StoreError
            from agent.store.opening import open_store

            try:
                self._store = open_store(self.home, create=create,
                                         prompt=prompt_passphrase if sys.stdin.isatty() else None)
            except (StoreError, ConfigError) as exc:
                self.fail(exc)
        return self._store

    def _log_in(self, registry: Registry) -> None:
        """Check the operator's PIN (a wrong one is counted and audited by the agent)."""
        if not self.operator:
            self.fail(self.say("本登记库已启用操作员账号：请用 --operator 名字（或 DENGJI_OPERATOR）说明由谁操作",
                               "this store has operator accounts: say who acts with --operator NAME "
                               "(or DENGJI_OPERATOR)"))
        login = registry.accounts.log_in(self.operator, self.pin(self.say(f"{self.operator} 的操作密码",
                                                                          f"PIN of {self.operator}")))
        if login.operator is None:
            assert login.problem is not None
            self.refuse(login.problem.text(self.say.lang))
        self.acting = login.operator

    def pin(self, label: str, *, new: bool = False) -> str:
        """A PIN from `DENGJI_PIN` (`DENGJI_NEW_PIN` for one being set) or, at a terminal, a prompt."""
        variable = "DENGJI_NEW_PIN" if new else "DENGJI_PIN"
        return self.secret(variable, label, confirm=new,
                           without_terminal=(f"请在环境变量 {variable} 中给出密码（没有终端可以输入）",
                                             f"give the PIN in {variable}: there is no terminal to type it at"))

    def secret(self, variable: str, label: str, *, confirm: bool, without_terminal: tuple[str, str]) -> str:
        """A secret from the environment `variable` (scripts, services) or typed at the terminal, hidden
        (twice when `confirm`); with neither, the command fails saying `without_terminal`."""
        value = os.environ.get(variable)
        if value:
            return value
        if not sys.stdin.isatty():
            self.fail(self.say(*without_terminal))
        return click.prompt(label, hide_input=True, confirmation_prompt=confirm, err=True)

    def problem_text(self, problem: Problem) -> str:
        where = f"{problem.field}: " if problem.field else ""
        return where + problem.text(self.say.lang)


def current_say() -> Say:
    """The running command's language, for what is said before or outside a command's own code (a value
    that cannot be parsed, a prompt)."""
    context = click.get_current_context(silent=True)
    obj = context.find_object(Context) if context is not None else None
    return obj.say if obj is not None else Say(detect_lang())


def prompt_passphrase() -> str:
    """The key file's passphrase, typed at the terminal: once to open `keys.enc`; while the home has none
    yet, the passphrase that will seal it, so twice and with the rule (`ask_new_passphrase`)."""
    from agent.secrets.keystore import KEY_FILE

    context = click.get_current_context(silent=True)
    obj = context.find_object(Context) if context is not None else None
    say = current_say()
    if obj is not None and not (obj.home / KEY_FILE).exists():
        return ask_new_passphrase(say("为登记库的密钥文件设一个口令", "Choose a passphrase for the key file"))
    return click.prompt(say("请输入密钥口令", "Passphrase for the key file"), hide_input=True, err=True)


def ask_new_passphrase(label: str) -> str:
    """A passphrase being set (the key file, a backup, a key transfer), typed twice at the terminal, the
    one rule of `agent.validation.passphrase` said in the prompt; asked again until it passes."""
    from agent.validation.passphrase import RULE_EN, RULE_ZH, check_new_passphrase

    say = current_say()
    while True:
        first = click.prompt(f"{label}{say(f'（{RULE_ZH}）', f' ({RULE_EN})')}", hide_input=True, err=True)
        problem = check_new_passphrase(first)
        if problem is None:
            again = click.prompt(say("再输入一次", "Type it again"), hide_input=True, err=True)
            problem = check_new_passphrase(first, again)
        if problem is None:
            return first
        click.echo(problem.text(say.lang), err=True)


def parse_time(value: str) -> datetime:
    """`YYYY-MM-DD HH:MM` or ISO 8601; a time without an offset is China time."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        say = current_say()
        raise click.BadParameter(say(f"时间格式应为 YYYY-MM-DD HH:MM，例如 2026-11-25 14:30: {value!r}",
                                     f"the time must look like 2026-11-25 14:30: {value!r}")) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TIME)


def local_time(iso: str) -> str:
    """An ISO 8601 moment as China time, `2026-11-25 14:30`; what cannot be read is shown as it is."""
    try:
        return datetime.fromisoformat(iso).astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


# SQLite and PostgreSQL keep row numbers in 64 signed bits: a bigger one names no row, and SQLite's
# driver raises OverflowError on it instead of finding nothing.
_LARGEST_ROW_NUMBER = 2**63 - 1


class RowNumber(click.ParamType):
    """A number that names a row typed on the command line (a registration, a rejected record): a positive
    integer the database can hold, else a usage error in the command's language."""

    name = "number"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip()
            number = int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else 0
        if not 1 <= number <= _LARGEST_ROW_NUMBER:
            say = current_say()
            self.fail(say(f"应为一个正整数编号（最大 {_LARGEST_ROW_NUMBER}）: {str(value)[:30]!r}",
                          f"expected a positive whole number (at most {_LARGEST_ROW_NUMBER}): {str(value)[:30]!r}"),
                      param, ctx)
        return number


ROW_NUMBER = RowNumber()


def parse_day(value: str | None) -> date | None:
    """`YYYY-MM-DD`, or None when no day was given."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        say = current_say()
        raise click.BadParameter(say(f"日期格式应为 YYYY-MM-DD，例如 2026-11-25: {value!r}",
                                     f"the date must look like 2026-11-25: {value!r}")) from None

"""The `dengji` command group: the options every command shares, and the commands it holds (one module
per group of commands, beside this one).
"""

from __future__ import annotations

import sys

import click

from agent import __version__
from agent.cli.card_reader import reader
from agent.cli.context import EXIT_UNUSABLE, Context
from agent.cli.delivery import agent, send, status
from agent.cli.demo import demo
from agent.cli.duties import (
    at_rest,
    audit_group,
    operator,
    permit_check,
    purge,
    reminders,
    retention,
)
from agent.cli.help_language import LanguageGroup
from agent.cli.ops import backup, doctor, restore, service
from agent.cli.registering import correct, depart, list_, register, rejected, resend
from agent.cli.setup import enroll, init, join, keys
from agent.cli.spreadsheets import export, import_
from agent.cli.staying import (
    closing_time,
    depart_room,
    extend,
    move,
    undo_depart,
    visit,
    visit_end,
    visits,
)
from agent.cli.terminal_ui import tui
from agent.domain.errors import ConfigError, DengjiError
from agent.domain.language import Say, detect_lang
from agent.home.config import Config, load_config, resolve_home


class DengjiGroup(LanguageGroup):
    """The root group: help in the command's language (`LanguageGroup`), and what stopped any command
    said in it too: a `DengjiError` that no command caught (a sealed field found moved or altered while
    reading the register, say) is shown with exit status 2, never as a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DengjiError as exc:
            obj = ctx.find_object(Context)
            click.echo(exc.text(obj.say.lang if obj is not None else detect_lang(None, None)), err=True)
            sys.exit(EXIT_UNUSABLE)


@click.group(cls=DengjiGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False), envvar="DENGJI_HOME",
              help="Data directory (config, database, logs). Default: $DENGJI_HOME or the user data dir.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of messages and help: zh (default) or en.")
@click.option("--operator", envvar="DENGJI_OPERATOR", default=None,
              help="Who acts (once the store has operator accounts); the PIN comes from $DENGJI_PIN or a prompt.")
@click.version_option(__version__, prog_name="dengji")
@click.pass_context
def main(ctx: click.Context, home: str | None, lang: str | None, operator: str | None) -> None:
    """登记 dengji: register tenants, guests and staff, and report them to the platform.

    Run a command below; `dengji COMMAND --help` explains each one.
    """
    resolved = resolve_home(home)
    try:
        config = load_config(resolved)
    except ConfigError as exc:
        if ctx.invoked_subcommand != "doctor":  # doctor reports a broken config as one of its checks
            click.echo(exc.text(detect_lang(lang, None)), err=True)
            sys.exit(EXIT_UNUSABLE)
        config = Config()
    ctx.obj = Context(resolved, Say(detect_lang(lang, config.lang)), operator or None, config.operator_name)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


main.add_command(tui)
main.add_command(init)
main.add_command(join)
main.add_command(keys)
main.add_command(enroll)
main.add_command(register)
main.add_command(depart)
main.add_command(list_)
main.add_command(rejected)
main.add_command(correct)
main.add_command(resend)
main.add_command(status)
main.add_command(send)
main.add_command(agent)
main.add_command(doctor)
main.add_command(backup)
main.add_command(restore)
main.add_command(service)
main.add_command(reminders)
main.add_command(permit_check)
main.add_command(operator)
main.add_command(audit_group)
main.add_command(retention)
main.add_command(purge)
main.add_command(import_)
main.add_command(export)
main.add_command(demo)
main.add_command(reader)
main.add_command(depart_room)
main.add_command(undo_depart)
main.add_command(move)
main.add_command(extend)
main.add_command(visit)
main.add_command(visit_end)
main.add_command(visits)
main.add_command(closing_time)
main.add_command(at_rest)

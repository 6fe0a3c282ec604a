"""Spreadsheets: `import` a register kept in CSV or XLSX, `export` the register for an inspector."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from agent.cli.context import EXIT_REFUSED, Context, parse_day


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report, but register nothing.")
@click.pass_obj
def import_(obj: Context, file: str, dry_run: bool) -> None:
    """Register people from a CSV or XLSX sheet (columns named in Chinese or English).

    Prints a report per row; a refused row writes nothing, the others are registered.
    Exit status 1 if any row was refused.
    """
    from agent.domain.errors import SheetError
    from agent.sheets.importer import import_file

    registry = obj.registry()
    try:
        with click.progressbar(length=0, label=obj.say("导入中", "importing"), file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            report = import_file(registry, Path(file), dry_run=dry_run, progress=progress)
    except SheetError as exc:
        obj.fail(exc)
    for line in report.lines(obj.say.lang):
        click.echo(line)
    if report.refused:
        sys.exit(EXIT_REFUSED)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--from", "date_from", default=None, help="First arrival day to include (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Last arrival day to include (YYYY-MM-DD).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write. Default: register-<today>.<format> in the current directory.")
@click.pass_obj
def export(obj: Context, fmt: str, date_from: str | None, date_to: str | None, output: str | None) -> None:
    """Write the register (the book a police inspector asks to see) to CSV or XLSX."""
    from agent.domain.errors import ExportError
    from agent.sheets.export import write_register

    target = Path(output or f"register-{date.today().isoformat()}.{fmt}")
    try:
        count = write_register(obj.registry(), target, fmt, parse_day(date_from), parse_day(date_to))
    except ExportError as exc:
        obj.fail(exc)
    click.echo(obj.say(f"已导出 {count} 条登记到 {target}", f"exported {count} registrations to {target}"))

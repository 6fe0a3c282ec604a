"""`dengji reader read`: wait for a card on the reader and print what it says.

A click group of its own, added to the main command line in `agent/cli/root.py`. It works standalone
too (`python -c "from agent.cli.card_reader import reader; reader()" read`).

Exit status: 0 a card was read (an expired one too, with a warning), 2 no card came within the
timeout, 1 the reader failed (nothing answering at the port included), always with a message that
says what to do and never a traceback. Progress and warnings go to stderr; stdout carries the card:
labelled lines with the number masked, or with `--json` exactly one JSON object (`JSON_KEYS`).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from agent.cardreader.errors import ReaderError
from agent.cli.context import Context, current_say
from agent.home.config import Config, load_config

EXIT_CARD = 0
EXIT_READER_ERROR = 1
EXIT_NO_CARD = 2

_DOCUMENT_NAMES = {
    "resident_id": ("居民身份证", "resident ID card"),
    "hmt_residence_permit": ("港澳台居民居住证", "residence permit for Hong Kong, Macau and Taiwan residents"),
    "foreign_permanent_2017": ("外国人永久居留身份证（2017 版）", "foreigner's permanent residence ID card (2017)"),
    "foreign_permanent_2023": ("外国人永久居留身份证（2023 版）", "foreigner's permanent residence ID card (2023)"),
}


@click.group(name="reader")
def reader() -> None:
    """ID card readers (身份证阅读器)."""


@reader.command("read")
@click.option("--port", default=None, metavar="PATH",
              help="The reader's serial port (/dev/ttyUSB0, COM3); default: config reader_port, else found among "
                   "USB serial ports. With --backend library: the library's port number (1001 = first USB reader).")
@click.option("--baud", type=click.IntRange(min=1), default=None,
              help="Serial speed; default: config reader_baud, else 115200.")
@click.option("--timeout", type=click.FloatRange(min=0), default=30.0, show_default=True, metavar="S",
              help="Seconds to wait for a card.")
@click.option("--json", "as_json", is_flag=True, help="Print the card as one JSON object (the number unmasked).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of messages.")
@click.option("--backend", type=click.Choice(["serial", "library"]), default=None,
              help="GA/T 467 frames on a serial port, or the vendor's sdtapi library; default: config "
                   "reader_backend, else serial.")
@click.option("--library", "library_path", default=None, metavar="PATH",
              help="The vendor's sdtapi library (with --backend library); default: config reader_library_path.")
@click.pass_context
def read(ctx: click.Context, port: str | None, baud: int | None, timeout: float, as_json: bool, lang: str | None,
         backend: str | None, library_path: str | None) -> None:
    """Wait for a card on the reader and print its fields."""
    from agent.cardreader import (
        open_reader,  # loads pyserial: only when a card is to be read
    )

    lang = lang or current_say().lang

    def say(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    config = _config(ctx)
    try:
        card_reader = open_reader(port or config.reader_port or None, baud=baud or config.reader_baud_rate,
                                  backend=backend or config.reader_backend or "serial",
                                  library_path=library_path or config.reader_library_path or None)
    except ReaderError as problem:
        click.echo(problem.text(lang), err=True)
        ctx.exit(EXIT_READER_ERROR)
    with card_reader:
        click.echo(say(f"读卡器：{card_reader.description}。请把证件放在读卡器上（最多等 {timeout:g} 秒）…",
                       f"reader: {card_reader.description}. Place the card on the reader (waiting up to "
                       f"{timeout:g} s)…"), err=True)
        try:
            card = card_reader.wait_for_card(timeout, on_problem=_problem_printer(lang))
        except ReaderError as problem:
            click.echo(problem.text(lang), err=True)
            ctx.exit(EXIT_READER_ERROR)
    if card is None:
        click.echo(say(f"{timeout:g} 秒内没有读到证件：请把证件平放在读卡器的感应区，再运行一次",
                       f"no card was read within {timeout:g} s: lay the card flat on the reader's pad and run "
                       "this again"), err=True)
        ctx.exit(EXIT_NO_CARD)
    for warning in card.warnings:
        click.echo(say("注意：", "warning: ") + warning.text(lang), err=True)
    if card.expired:
        until = card.valid_until.isoformat() if card.valid_until else ""
        click.echo(say(f"注意：证件已过期（有效期至 {until}）：已读出，但旅馆登记不能使用过期证件",
                       f"warning: the card expired (valid until {until}): it was read, but a hotel stay cannot "
                       "be registered with an expired card"), err=True)
    if as_json:
        click.echo(json.dumps(card.as_dict(), ensure_ascii=False))
        return
    fields = card.as_dict()
    zh_doc, en_doc = _DOCUMENT_NAMES[card.layout.value]
    lines = [
        (say("证件类型", "document"), say(zh_doc, en_doc)),
        (say("证件号码", "number"), card.masked_number),
        (say("姓名", "name"), card.name),
        (say("英文姓名", "English name"), card.name_en),
        (say("性别", "sex"), say("男", "male") if fields["sex"] == "M" else say("女", "female")),
        (say("民族代码", "ethnicity code"), card.ethnicity),
        (say("出生日期", "birth date"), fields["birth_date"]),
        (say("住址", "address"), card.address),
        (say("国籍", "nationality"), card.nationality),
        (say("签发机关", "issuer"), card.issuer),
        (say("有效期限", "valid"), f"{fields['valid_from']} – {fields['valid_until'] or say('长期', 'long-term')}"),
    ]
    for label, value in lines:
        if value:
            click.echo(f"{label}{say('：', ': ')}{value}")


def _config(ctx: click.Context) -> Config:
    """The home's settings when run as `dengji reader read` (the root has read them already, and a broken
    file has been refused there); the defaults when the group runs on its own."""
    obj = ctx.find_object(Context)
    return load_config(obj.home) if obj is not None else Config()


def _problem_printer(lang: str) -> Callable[[ReaderError], None]:
    """Print each transient problem while waiting, once until a different one comes (a noisy line
    would otherwise repeat the same message ten times a second)."""
    last: list[str] = []

    def show(problem: ReaderError) -> None:
        if last != [problem.code]:
            last[:] = [problem.code]
            click.echo(problem.text(lang), err=True)

    return show

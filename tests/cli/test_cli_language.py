"""The command line's own help and click's own words follow the language: `--lang`, else the configured
one, else the system's; and the Chinese table leaves no command or option in English."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from agent.cli.help_language import commands
from agent.cli.help_zh import COMMANDS, SHARED_OPTIONS
from agent.cli.root import main
from agent.home.config import Config, save_config


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    return result.output


def test_every_command_and_option_has_its_chinese_help() -> None:
    for path, command in commands(main):
        assert path in COMMANDS, path
        options = COMMANDS[path].get("options", {})
        for param in command.params:
            if isinstance(param, click.Option) and param.help and param.name != "help":
                assert param.name in options or param.name in SHARED_OPTIONS, f"{path} {param.name}"
    assert not set(COMMANDS) - {path for path, _ in commands(main)}  # nothing left for a command gone


def test_lang_zh_gives_chinese_help_and_click_words(private_home) -> None:  # type: ignore[no-untyped-def]
    text = _run("--lang", "zh", "--help")
    assert "用法:" in text and "选项" in text and "命令" in text
    assert "登记离开：退房、退租或离职。" in text and "显示此帮助并退出。" in text
    assert "Record a departure" not in text and "Show this message" not in text
    sub = _run("--lang", "zh", "depart", "--help")
    assert "离开的时间（YYYY-MM-DD HH:MM，北京时间）" in sub


def test_english_comes_back_after_chinese_in_the_same_process(private_home) -> None:  # type: ignore[no-untyped-def]
    _run("--lang", "zh", "--help")
    text = _run("--lang", "en", "depart", "--help")
    assert "Usage:" in text and "Record a departure: check-out" in text and "When the person left" in text
    assert "离开" not in text


def test_chinese_help_after_english_in_the_same_process(private_home) -> None:  # type: ignore[no-untyped-def]
    """click keeps --help's option with the words of the first call; the second language still gets its own."""
    _run("--lang", "en", "--help")
    text = _run("--lang", "zh", "--help")
    assert "显示此帮助并退出。" in text and "Show this message" not in text


@pytest.mark.parametrize(("configured", "expected", "absent"), [("en", "Usage:", "用法"), ("zh", "用法:", "Usage")])
def test_the_configured_language_is_the_help_language(private_home, monkeypatch, configured, expected, absent) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LANG", "zh_CN.UTF-8" if configured == "en" else "en_US.UTF-8")  # the config wins
    save_config(private_home, Config(lang=configured))
    text = _run("--help")
    assert expected in text and absent not in text


def test_a_mistyped_command_is_said_in_chinese(private_home) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["--lang", "zh", "lst"])
    assert result.exit_code == 2
    assert "错误：没有命令 'lst'。" in result.output and "是不是 'list'" in result.output

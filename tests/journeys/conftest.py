"""Journeys start the app exactly as `dengji` does (`agent.cli.terminal_ui.tui_app`), on a private home."""

from __future__ import annotations

import pytest

SIZES = [(80, 24), (60, 20)]
LANGS = ["zh", "en"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every journey runs at 80x24 and 60x20, in Chinese and in English."""
    if "size" in metafunc.fixturenames and "lang" in metafunc.fixturenames:
        metafunc.parametrize(("lang", "size"), [(lang, size) for lang in LANGS for size in SIZES],
                             ids=[f"{lang}-{w}x{h}" for lang in LANGS for w, h in SIZES])

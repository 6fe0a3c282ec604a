"""Journeys start the app exactly as `dengji` does (`agent.cli.terminal_ui.tui_app`), on a private home."""

from __future__ import annotations

import os

import pytest

SIZES = [(80, 24), (60, 20)]
LANGS = ["zh", "en"]


# Each journey in both languages and at both sizes: Chinese at 80x24 and English at 60x20, the two
# hardest to fit (English is the wider text, 60x20 the smaller screen) and the two most used. With
# DENGJI_ALL_JOURNEYS=1, every language at every size (four times the work; the CI keeps to two).
PAIRS = ([(lang, size) for lang in LANGS for size in SIZES] if os.environ.get("DENGJI_ALL_JOURNEYS") == "1"
         else [("zh", SIZES[0]), ("en", SIZES[1])])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every journey runs at 80x24 and 60x20, in Chinese and in English."""
    if "size" in metafunc.fixturenames and "lang" in metafunc.fixturenames:
        metafunc.parametrize(("lang", "size"), PAIRS, ids=[f"{lang}-{w}x{h}" for lang, (w, h) in PAIRS])
